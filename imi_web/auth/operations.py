"""Authentication and password changes (R-3.8): plain functions; the caller commits."""

import secrets

import sqlalchemy as sa
from flask import current_app

from .. import history
from ..extensions import db
from ..models import AuthorityStatus, PasswordHistory, PasswordStatus, User, utcnow
from ..passwords import hash_password, needs_rehash, password_problems, verify_password


def find_user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == username.strip().lower()))


def authenticate(username: str, password: str) -> User | None:
    """The user if the credentials are right and the password not blocked, else None.

    Every failure looks the same to the caller (and takes about as long), so the login
    page cannot tell whether a username exists. Wrong passwords count towards blocking.
    """
    user = find_user(username)
    if user is None:
        verify_password(None, password)
        return None
    if not verify_password(user.password_hash, password):
        if user.password_blocked_at is None:
            user.failed_login_count += 1
            if user.failed_login_count >= current_app.config["PASSWORD_MAX_FAILED_ATTEMPTS"]:
                old_status = user.password_status().value
                user.password_blocked_at = utcnow()
                history.record_user_change(
                    "user.password_blocked",
                    actor=None,
                    user=user,
                    changes={"password_status": [old_status, PasswordStatus.BLOCKED.value]},
                )
        return None
    if user.password_blocked_at is not None or user.authority.status != AuthorityStatus.ACTIVE:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_login_count = 0
    user.last_login_at = utcnow()
    return user


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
    # Other sessions end; the caller logs the current one in again with the new identity.
    user.session_nonce = secrets.token_hex(8)
    history.record_user_change(
        "user.password_changed",
        actor=user,
        user=user,
        changes={"password_status": [old_status, "valid"]},
    )
    return {}
