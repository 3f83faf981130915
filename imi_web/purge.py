"""Deleting deactivated authorities (R-5.3), and reminding their access managers first.

An authority deactivated at ``d`` is deleted once ``deletion_due_at(d)`` has come:
``AUTHORITY_DELETION_MONTHS`` calendar months later (see ``authorities.retirement``). The
access managers' administrators get one reminder ``AUTHORITY_DELETION_REMINDER_DAYS`` days
before; ``Authority.deletion_reminder_sent_at`` remembers it was sent (reactivation clears it).

Both jobs are safe to run repeatedly and on several servers at once, even without the lease
of ``jobs.py``:

- a reminder is claimed with a conditional UPDATE of ``deletion_reminder_sent_at`` before its
  mails are queued in the same transaction;
- a deletion starts with a conditional UPDATE of the authority row (still deactivated, at the
  same moment): on PostgreSQL the row lock makes a second server wait, then find nothing to
  do; on SQLite it takes the database's write lock. The authority row itself is deleted with
  the same conditions, and everything rolls back unless exactly that row went.

What is deleted with the authority: its users and their password history and module rights,
its module access, classification, delegation and access-manager links, the invitations it
sent or registered through, and its history entries. Elsewhere in the history its users'
names are removed (as actors and as subjects). One minimal record stays: action
``authority.deleted`` with the official name, the old id, the deactivation time and the number
of users deleted — no personal data.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale

from . import history
from .authorities.retirement import days_left, deletion_due_at, deletion_months
from .extensions import db
from .i18n import format_day
from .outbox import queue_mail
from .models import (
    AccessManagerLink,
    Authority,
    AuthorityStatus,
    HistoryEntry,
    Invitation,
    ModuleAccess,
    OutboxMessage,
    PasswordHistory,
    SecurityEvent,
    User,
    UserSession,
    utcnow,
)
from .models.authorities import access_manager_module, authority_classification, module_access_classification
from .models.people import user_module_right

# History fields of a user entry that are not personal data; the others go with the user.
NON_PERSONAL_USER_FIELDS = {"is_admin", "rights", "password_status"}


def _coarse_bound(now: datetime, days_before: int = 0) -> datetime:
    """An early-enough cut-off for the SQL filter (28-day months); the exact test is in Python."""
    return now + timedelta(days=days_before) - timedelta(days=28 * deletion_months())


def _deactivated(before: datetime, *conditions):
    return db.session.execute(
        sa.select(Authority.id, Authority.deactivated_at, Authority.official_name)
        .where(
            Authority.status == AuthorityStatus.DEACTIVATED,
            Authority.deactivated_at.is_not(None),
            Authority.deactivated_at <= before,
            *conditions,
        )
        .order_by(Authority.deactivated_at, Authority.id)
    ).all()


def _still_deactivated_at(authority_id: int, deactivated_at: datetime):
    return _still(authority_id, AuthorityStatus.DEACTIVATED, deactivated_at)


# The moment an authority left service, by the status it left in: the deletion waits from there.
LEFT_AT = {AuthorityStatus.DEACTIVATED: Authority.deactivated_at, AuthorityStatus.REJECTED: Authority.rejected_at}


def _still(authority_id: int, status: AuthorityStatus, since: datetime):
    """The authority is still in ``status`` since the same moment (no reactivation meanwhile)."""
    return sa.and_(Authority.id == authority_id, Authority.status == status, LEFT_AT[status] == since)


# --- reminders -------------------------------------------------------------------------------


def reminder_recipients(authority_id: int) -> list[User]:
    """Administrators of the authority's active access managers (its country's NIMIC if none)."""
    admins = (
        sa.select(User)
        .join(Authority, Authority.id == User.authority_id)
        .where(User.is_admin.is_(True), Authority.status == AuthorityStatus.ACTIVE)
        .order_by(User.id)
    )
    managers = sa.select(AccessManagerLink.manager_authority_id).where(
        AccessManagerLink.managed_authority_id == authority_id
    )
    users = list(db.session.scalars(admins.where(User.authority_id.in_(managers))))
    if not users:
        country = sa.select(Authority.country_id).where(Authority.id == authority_id).scalar_subquery()
        users = list(db.session.scalars(admins.where(Authority.is_nimic.is_(True), Authority.country_id == country)))
    return users


def _claim_reminder(authority_id: int, deactivated_at: datetime, now: datetime) -> bool:
    return (
        db.session.execute(
            sa.update(Authority)
            .where(_still_deactivated_at(authority_id, deactivated_at), Authority.deletion_reminder_sent_at.is_(None))
            .values(deletion_reminder_sent_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )


def _authority_link(authority_id: int) -> str:
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        return url_for("authorities.show", authority_id=authority_id, tab="authority", _external=True)


def send_deletion_reminders(now: datetime | None = None) -> int:
    """Queue the reminders due now; return how many authorities' managers were reminded."""
    now = now or utcnow()
    before = timedelta(days=int(current_app.config["AUTHORITY_DELETION_REMINDER_DAYS"]))
    reminded = 0
    for row in _deactivated(_coarse_bound(now, before.days), Authority.deletion_reminder_sent_at.is_(None)):
        due_at = deletion_due_at(row.deactivated_at)
        if not (due_at - before <= now < due_at):
            continue
        if not _claim_reminder(row.id, row.deactivated_at, now):
            db.session.rollback()
            continue
        link = _authority_link(row.id)
        for user in reminder_recipients(row.id):
            language = user.language if user.language in current_app.config["LANGUAGES"] else "lv"
            with force_locale(language):
                deletion_date = format_day(due_at, "long")
                left = days_left(due_at, now)
            queue_mail(
                user.email,
                "authority_deletion_reminder",
                language,
                first_name=user.first_name,
                authority_name=row.official_name,
                deletion_date=deletion_date,
                days_left=left,
                link=link,
            )
        db.session.commit()
        reminded += 1
    db.session.rollback()
    return reminded


def deletion_reminders_job() -> str:
    reminded = send_deletion_reminders()
    return f"{reminded} authorit{'y' if reminded == 1 else 'ies'} reminded"


# --- deletion --------------------------------------------------------------------------------


@dataclass
class Deleted:
    id: int
    official_name: str
    country: str
    deactivated_at: datetime
    users: int
    status: AuthorityStatus = AuthorityStatus.DEACTIVATED

    def __str__(self):
        return (
            f"deleted authority {self.id} {self.official_name!r} ({self.country}), {self.status.value} "
            f"{self.deactivated_at:%Y-%m-%d}, with {self.users} user{'' if self.users == 1 else 's'}"
        )


def _scrub_history(authority_id: int, user_ids: list[int]) -> None:
    """Drop the authority's own entries and its users' personal data from the others."""
    db.session.execute(
        sa.delete(HistoryEntry).where(HistoryEntry.authority_id == authority_id).execution_options(synchronize_session=False)
    )
    if not user_ids:
        return
    # Entries about these users filed elsewhere (served by ix_history_entry_subject).
    for entry in db.session.scalars(
        sa.select(HistoryEntry).where(HistoryEntry.subject_type == User.__tablename__, HistoryEntry.subject_id.in_(user_ids))
    ):
        entry.subject_label = ""
        entry.changes = {k: v for k, v in (entry.changes or {}).items() if k in NON_PERSONAL_USER_FIELDS}
    db.session.flush()
    db.session.execute(
        sa.update(HistoryEntry)
        .where(HistoryEntry.actor_user_id.in_(user_ids))
        .values(actor_user_id=None, actor_name="")
        .execution_options(synchronize_session=False)
    )


def _unlink_from_others(authority: Authority) -> None:
    """Other authorities' ties to this one: linked coordinator, managed authorities."""
    for access in db.session.scalars(sa.select(ModuleAccess).where(ModuleAccess.linked_coordinator_id == authority.id)):
        access.linked_coordinator_id = None
        history.record(
            "module_access.updated",
            actor=None,
            authority=access.authority,
            subject=access,
            subject_label=access.module.code,
            changes={"linked_coordinator": [authority.official_name, None]},
        )
    for link in db.session.scalars(
        sa.select(AccessManagerLink).where(AccessManagerLink.manager_authority_id == authority.id)
    ):
        history.record_authority_change(
            "access_manager.removed",
            actor=None,
            authority=link.managed,
            changes={"access_manager": [authority.official_name, None]},
        )
    db.session.flush()


def _forget(authority_id: int, user_ids: list[int]) -> None:
    """Drop the deleted rows' objects from the session (by identity, without loading them)."""
    gone = {(Authority, authority_id), *((User, user_id) for user_id in user_ids)}
    for key, obj in list(db.session.identity_map.items()):
        if (key[0], key[1][0]) in gone or (
            key[0] in (ModuleAccess, Invitation, AccessManagerLink, PasswordHistory)
            and (
                obj.__dict__.get("authority_id") == authority_id
                or obj.__dict__.get("inviting_authority_id") == authority_id
                or obj.__dict__.get("managed_authority_id") == authority_id
                or obj.__dict__.get("manager_authority_id") == authority_id
                or obj.__dict__.get("user_id") in user_ids
            )
        ):
            db.session.expunge(obj)


def purge_authority(
    authority_id: int, deactivated_at: datetime, status: AuthorityStatus = AuthorityStatus.DEACTIVATED
) -> Deleted | None:
    """Delete one authority deactivated (or rejected, by ``status``) at ``deactivated_at``, in
    one transaction.

    Returns None (and changes nothing) if it was deleted or reactivated meanwhile.
    """
    db.session.rollback()  # start a fresh transaction: the claim below is its first statement
    claimed = db.session.execute(
        sa.update(Authority)
        .where(_still(authority_id, status, deactivated_at))
        .values(version=Authority.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        return None
    authority = db.session.execute(
        sa.select(Authority).where(Authority.id == authority_id).execution_options(populate_existing=True)
    ).scalar_one()
    name, search_name, country = authority.official_name, authority.search_name, authority.country.code
    user_rows = db.session.execute(sa.select(User.id, User.email).where(User.authority_id == authority_id)).all()
    user_ids = [row.id for row in user_rows]
    access_ids = sa.select(ModuleAccess.id).where(ModuleAccess.authority_id == authority_id)

    _unlink_from_others(authority)
    _scrub_history(authority_id, user_ids)
    statements = [
        sa.delete(user_module_right).where(user_module_right.c.user_id.in_(user_ids)),
        sa.delete(PasswordHistory).where(PasswordHistory.user_id.in_(user_ids)),
        sa.delete(UserSession).where(UserSession.user_id.in_(user_ids)),
        # The authority's security events name its users and their addresses; others keep
        # the event (another country's refusal, say) without the user's name.
        sa.delete(SecurityEvent).where(SecurityEvent.authority_id == authority_id),
        sa.update(SecurityEvent)
        .where(SecurityEvent.actor_user_id.in_(user_ids))
        .values(actor_user_id=None, actor_name=""),
        sa.update(Invitation).where(Invitation.invited_by_user_id.in_(user_ids)).values(invited_by_user_id=None),
        sa.delete(Invitation).where(
            sa.or_(Invitation.inviting_authority_id == authority_id, Invitation.authority_id == authority_id)
        ),
        sa.delete(module_access_classification).where(module_access_classification.c.module_access_id.in_(access_ids)),
        sa.delete(ModuleAccess).where(ModuleAccess.authority_id == authority_id),
        sa.delete(access_manager_module).where(access_manager_module.c.authority_id == authority_id),
        sa.delete(authority_classification).where(authority_classification.c.authority_id == authority_id),
        sa.delete(AccessManagerLink).where(
            sa.or_(
                AccessManagerLink.managed_authority_id == authority_id,
                AccessManagerLink.manager_authority_id == authority_id,
            )
        ),
        sa.update(HistoryEntry).where(HistoryEntry.actor_authority_id == authority_id).values(actor_authority_id=None),
        sa.delete(User).where(User.authority_id == authority_id),
    ]
    for statement in statements:
        db.session.execute(statement.execution_options(synchronize_session=False))
    # Mail still waiting for (or kept about) these users, unless another user has the address.
    emails = {row.email for row in user_rows}
    emails -= set(db.session.scalars(sa.select(User.email).where(User.email.in_(emails))))
    if emails:
        db.session.execute(
            sa.delete(OutboxMessage).where(OutboxMessage.recipient.in_(emails)).execution_options(synchronize_session=False)
        )
    deleted = db.session.execute(
        sa.delete(Authority).where(_still(authority_id, status, deactivated_at)).execution_options(
            synchronize_session=False
        )
    ).rowcount
    if deleted != 1:
        db.session.rollback()
        return None
    from .models.search_index import unindex_authority

    unindex_authority(db.session.connection(), authority_id, search_name)
    db.session.add(
        HistoryEntry(
            action="authority.deleted",
            authority_id=None,
            authority_name=name,
            subject_type=Authority.__tablename__,
            subject_id=authority_id,
            subject_label=name,
            changes={
                "status": [status.value, "deleted"],
                ("deactivated_at" if status == AuthorityStatus.DEACTIVATED else "rejected_at"): [deactivated_at.isoformat(), None],
                "users": [len(user_ids), 0],
            },
        )
    )
    _forget(authority_id, user_ids)
    db.session.commit()
    return Deleted(authority_id, name, country, deactivated_at, len(user_ids), status)


def purge_deactivated(now: datetime | None = None) -> list[Deleted]:
    """Delete every authority whose deletion date has come; return what was deleted."""
    now = now or utcnow()
    due = [row for row in _deactivated(_coarse_bound(now)) if deletion_due_at(row.deactivated_at) <= now]
    db.session.rollback()
    deleted = []
    for row in due:
        result = purge_authority(row.id, row.deactivated_at)
        if result is not None:
            deleted.append(result)
    return deleted


def purge_deactivated_job() -> str:
    deleted = purge_deactivated()
    if not deleted:
        return "0 authorities deleted"
    return f"{len(deleted)} deleted: " + "; ".join(str(d) for d in deleted)


def purge_rejected(now: datetime | None = None) -> list[Deleted]:
    """Delete the registrations rejected more than REJECTED_REGISTRATION_DAYS ago, with their
    first user (issue 18); each leaves one record in the history, as a purged authority does."""
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["REJECTED_REGISTRATION_DAYS"])
    due = db.session.execute(
        sa.select(Authority.id, Authority.rejected_at)
        .where(Authority.status == AuthorityStatus.REJECTED, Authority.rejected_at <= cutoff)
        .order_by(Authority.rejected_at, Authority.id)
    ).all()
    db.session.rollback()
    deleted = []
    for row in due:
        result = purge_authority(row.id, row.rejected_at, AuthorityStatus.REJECTED)
        if result is not None:
            deleted.append(result)
    return deleted


def purge_rejected_job() -> str:
    deleted = purge_rejected()
    return f"{len(deleted)} rejected registrations deleted" + "".join(f"; {d}" for d in deleted)
