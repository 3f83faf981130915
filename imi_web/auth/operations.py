"""Authentication and password changes (R-3.8): plain functions; the caller commits."""

import sqlalchemy as sa
from flask import current_app

from .. import history, policy, security_events, sessions
from ..extensions import db
from ..outbox import mail_user
from ..models import PasswordHistory, PasswordStatus, User, utcnow
from ..passwords import hash_password, needs_rehash, password_problems, verify_password


def find_user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == username.strip().lower()))


def authenticate(username: str, password: str) -> User | None:
    """The user if the credentials are right and the user may log in now, else None.

    Every failure looks the same to the caller and costs one password verification, so the
    login page cannot tell whether a username exists, is blocked or has an expired temporary
    password; the security event records the real reason. Wrong passwords count towards
    blocking (R-3.8).
    """
    user = find_user(username)
    if user is None:
        verify_password(None, password)
        security_events.record(security_events.LOGIN_FAILED, username=username.strip().lower(), reason=security_events.UNKNOWN_USER)
        return None
    if not verify_password(user.password_hash, password):
        reason = security_events.BLOCKED if user.password_blocked_at is not None else security_events.WRONG_PASSWORD
        security_events.record(security_events.LOGIN_FAILED, user=user, reason=reason)
        if user.password_blocked_at is None:
            user.failed_login_count += 1
            if user.failed_login_count >= current_app.config["PASSWORD_MAX_FAILED_ATTEMPTS"]:
                block_password(user)
        return None
    if user.password_blocked_at is not None:
        reason = security_events.BLOCKED
    elif user.temporary_password_expired():
        reason = security_events.EXPIRED
    elif not policy.may_log_in(user):
        reason = security_events.INACTIVE_AUTHORITY
    else:
        reason = None
    if reason is not None:
        security_events.record(security_events.LOGIN_FAILED, user=user, reason=reason)
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def complete_login(user: User, second_factor: str = "") -> None:
    """The sign-in has succeeded: after the password, or after the second factor for a user
    who has one. Only now does the failure count start again (a right password alone does not
    reset the count of wrong codes)."""
    user.failed_login_count = 0
    user.last_login_at = utcnow()
    security_events.record(security_events.LOGIN_SUCCEEDED, user=user, reason=second_factor)


def second_factor_failed(user: User, method: str) -> bool:
    """A wrong code or passkey at the second step: it counts towards the block after
    PASSWORD_MAX_FAILED_ATTEMPTS failures, as a wrong password does (R-3.8). True if the
    password is blocked now."""
    security_events.record(security_events.SECOND_FACTOR_FAILED, user=user, reason=method)
    if user.password_blocked_at is None:
        user.failed_login_count += 1
        if user.failed_login_count >= current_app.config["PASSWORD_MAX_FAILED_ATTEMPTS"]:
            block_password(user)
    return user.password_blocked_at is not None


def block_password(user: User) -> None:
    """Block the password after too many failed logins (R-3.8): the user's sessions end and the
    user is told by mail (no username in it); an administrator's reset unblocks it."""
    old_status = user.password_status().value
    now = utcnow()
    user.password_blocked_at = now
    history.record_user_change(
        "user.password_blocked",
        actor=None,
        user=user,
        changes={"password_status": [old_status, PasswordStatus.BLOCKED.value]},
    )
    security_events.record(security_events.PASSWORD_BLOCKED, user=user, count=user.failed_login_count)
    sessions.end_user_sessions(user, reason=security_events.ENDED_BY_PASSWORD_BLOCK, actor=None)
    mail_user(
        user,
        "password_blocked",
        blocked_at=now,
        attempts=user.failed_login_count,
    )


def must_change_password(user: User) -> bool:
    """A temporary or expired password must be changed before anything else (R-3.8)."""
    return user.password_status() in (PasswordStatus.TEMPORARY, PasswordStatus.EXPIRED)


def change_password(user: User, current_password: str, new_password: str) -> dict:
    """Change the user's own password; return ``{field: [messages]}`` when refused."""
    if not verify_password(user.password_hash, current_password):
        return {"current_password": ["wrong"]}
    problems = password_problems(user, new_password)
    if problems:
        return {"new_password": problems}
    old_status = user.password_status().value
    user.password_hash = hash_password(new_password)
    user.password_is_temporary = False
    user.password_set_at = utcnow()
    user.password_reminder_days = None
    user.password_history.insert(0, PasswordHistory(password_hash=user.password_hash))
    # Keep only what the reuse rule needs.
    for stale in user.password_history[current_app.config["PASSWORD_HISTORY_SIZE"] :]:
        db.session.delete(stale)
    history.record_user_change(
        "user.password_changed",
        actor=user,
        user=user,
        changes={"password_status": [old_status, "valid"]},
    )
    security_events.record(security_events.PASSWORD_CHANGED, user=user)
    # The user's other sessions end; this one (if any) goes on under a new token.
    current = user.session_token
    sessions.end_user_sessions(user, reason=security_events.ENDED_BY_PASSWORD_CHANGE, actor=user, keep_token=current)
    if current:
        sessions.rotate_session(user, current)
    return {}
