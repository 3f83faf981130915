"""Scheduled jobs, run by ``flask imi run-jobs`` (cron or a systemd timer, on any server).

Each job runs under a lease in ``job_lock``, so two servers starting it at the same moment
do not both run it. Later features add their jobs to ``JOBS``.
"""

import secrets
from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from . import security_events, sessions
from .extensions import db
from .outbox import deliver_pending
from .models import JobLock, utcnow
from .purge import deletion_reminders_job, purge_deactivated_job, purge_rejected_job
from .users.reminders import password_reminders_job


@contextmanager
def lease(name: str, seconds: int = 600):
    """Yield True if this process holds the lease ``name``, False if another one does."""
    holder = secrets.token_hex(8)
    now = utcnow()
    if db.session.get(JobLock, name) is None:
        try:
            db.session.add(JobLock(name=name, holder="", locked_until=None))
            db.session.commit()
        except sa.exc.IntegrityError:
            db.session.rollback()
    taken = db.session.execute(
        sa.update(JobLock)
        .where(JobLock.name == name, sa.or_(JobLock.locked_until.is_(None), JobLock.locked_until < now))
        .values(holder=holder, locked_until=now + timedelta(seconds=seconds))
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.commit()
    try:
        yield taken
    finally:
        if taken:
            db.session.rollback()
            db.session.execute(
                sa.update(JobLock)
                .where(JobLock.name == name, JobLock.holder == holder)
                .values(holder="", locked_until=None)
                .execution_options(synchronize_session=False)
            )
            db.session.commit()


def deliver_mail_job() -> str:
    counts = deliver_pending(limit=1000)
    return f"{counts['sent']} sent, {counts['failed']} failed"


def ended_sessions_job() -> str:
    removed = sessions.remove_ended_sessions()
    db.session.commit()
    return f"{removed} timed-out sessions removed"


def old_security_events_job() -> str:
    removed = security_events.remove_old_events()
    db.session.commit()
    return f"{removed} security events older than {current_app.config['SECURITY_EVENT_DAYS']} days removed"


# (name, function returning a one-line report)
# Jobs that queue mail come first, so that "deliver-mail" sends it in the same run.
JOBS = [
    ("password-reminders", password_reminders_job),
    ("authority-deletion-reminders", deletion_reminders_job),
    ("purge-deactivated", purge_deactivated_job),
    ("purge-rejected", purge_rejected_job),
    ("ended-sessions", ended_sessions_job),
    ("old-security-events", old_security_events_job),
    ("deliver-mail", deliver_mail_job),
]


def run_jobs() -> list[tuple[str, str]]:
    reports = []
    for name, job in JOBS:
        with lease(name) as taken:
            reports.append((name, job() if taken else "skipped: running on another server"))
    return reports
