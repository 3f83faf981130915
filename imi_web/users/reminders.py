"""Password expiry reminders (R-3.8): mails some days before a password expires.

``PASSWORD_REMINDER_DAYS`` lists the thresholds, e.g. ``(14, 3)``: a user gets one mail when
fewer than 14 days are left, and another when fewer than 3 are left. ``password_reminder_days``
records the threshold of the last reminder for the current password; changing the password or
getting a temporary one clears it, so the reminders start again for the new password.

Each reminder is claimed with a conditional UPDATE of that column before its mail is queued in
the same transaction, so two servers running the job at the same moment send it exactly once.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, to_user_timezone

from ..extensions import db
from ..i18n import format_day
from ..outbox import queue_mail
from ..models import Authority, AuthorityStatus, User, utcnow

BATCH_SIZE = 500


def reminder_thresholds() -> list[int]:
    """The configured thresholds in days, largest first, without duplicates or non-positives."""
    days = {int(d) for d in current_app.config.get("PASSWORD_REMINDER_DAYS") or ()}
    return sorted((d for d in days if d > 0), reverse=True)


def _windows(now: datetime) -> list[tuple[int, datetime, datetime]]:
    """``(threshold, set_after, set_until)`` for each threshold, largest first.

    A password set in ``(set_after, set_until]`` has more days left than the next smaller
    threshold (or is not yet expired, for the smallest one) and at most ``threshold`` days
    left. The windows do not overlap, so a user who was not reminded earlier (say 2 days
    before expiry, the job having not run for a while) gets only the reminder that fits.
    """
    max_age = current_app.config["PASSWORD_MAX_AGE_DAYS"]
    thresholds = reminder_thresholds()
    windows = []
    for i, threshold in enumerate(thresholds):
        smaller = thresholds[i + 1] if i + 1 < len(thresholds) else 0
        windows.append(
            (
                threshold,
                now - timedelta(days=max_age - smaller),
                now - timedelta(days=max_age - threshold),
            )
        )
    return windows


def _candidates_query(threshold: int, set_after: datetime, set_until: datetime, after: tuple | None):
    """The next batch of users due for the ``threshold`` reminder, by (password_set_at, id)."""
    query = (
        sa.select(User.id, User.password_set_at, User.email, User.first_name, User.language)
        .where(
            # A range on password_set_at, so ix_user_account_password_set_at serves it; the
            # authority is checked with EXISTS (a join lets planners start from authorities).
            User.password_set_at > set_after,
            User.password_set_at <= set_until,
            User.password_is_temporary.is_(False),
            User.password_blocked_at.is_(None),
            User.password_hash.is_not(None),
            sa.exists().where(Authority.id == User.authority_id, Authority.status == AuthorityStatus.ACTIVE),
            sa.or_(User.password_reminder_days.is_(None), User.password_reminder_days > threshold),
        )
        .order_by(User.password_set_at, User.id)
        .limit(BATCH_SIZE)
    )
    if after is not None:
        query = query.where(sa.tuple_(User.password_set_at, User.id) > after)
    return query


def _candidates(threshold: int, set_after: datetime, set_until: datetime, after: tuple | None):
    return db.session.execute(_candidates_query(threshold, set_after, set_until, after)).all()


def _claim(user_id: int, threshold: int, password_set_at: datetime) -> bool:
    """Record the reminder for this password unless it (or a later one) was recorded already."""
    result = db.session.execute(
        sa.update(User)
        .where(
            User.id == user_id,
            User.password_set_at == password_set_at,
            sa.or_(User.password_reminder_days.is_(None), User.password_reminder_days > threshold),
        )
        .values(password_reminder_days=threshold)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _queue_reminder(row, expires_at: datetime, now: datetime) -> None:
    language = row.language if row.language in current_app.config["LANGUAGES"] else "lv"
    with force_locale(language):
        # Whole days between the local calendar dates, matching the date the mail shows.
        days_left = (to_user_timezone(expires_at).date() - to_user_timezone(now).date()).days
        expires_on = format_day(expires_at, "long")
    queue_mail(
        row.email,
        "password_expiry",
        language,
        first_name=row.first_name,
        days_left=max(days_left, 0),
        expires_on=expires_on,
    )


def send_password_reminders(now: datetime | None = None) -> int:
    """Queue the password expiry reminders that are due; return how many were queued."""
    now = now or utcnow()
    max_age = timedelta(days=current_app.config["PASSWORD_MAX_AGE_DAYS"])
    queued = 0
    for threshold, set_after, set_until in _windows(now):
        after = None
        while True:
            rows = _candidates(threshold, set_after, set_until, after)
            if not rows:
                break
            for row in rows:
                if _claim(row.id, threshold, row.password_set_at):
                    _queue_reminder(row, row.password_set_at + max_age, now)
                    queued += 1
            db.session.commit()
            after = (rows[-1].password_set_at, rows[-1].id)
            if len(rows) < BATCH_SIZE:
                break
    return queued


def password_reminders_job() -> str:
    queued = send_password_reminders()
    return f"{queued} reminder{'' if queued == 1 else 's'} queued"
