"""A sign-in that has passed the password and waits for the second factor.

It lives in the signed session cookie, never in a sign-in session: Flask-Login knows no user
until the second step succeeds, so the password step alone opens no page and no partial.
It names the user, when the password was given (it waits SECOND_FACTOR_WAIT_MINUTES) and a
fingerprint of the password hash (a reset in between ends it), and where to go afterwards.
"""

import hashlib
import time

from flask import current_app, session

from .. import policy
from ..extensions import db
from ..models import User

KEY = "pending_sign_in"


def _fingerprint(user: User) -> str:
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def start(user: User, next_url: str) -> None:
    """Forget whatever the cookie held (no fixation), keep the language, remember the user."""
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language
    session[KEY] = {"user": user.id, "at": int(time.time()), "check": _fingerprint(user), "next": next_url or ""}


def waiting() -> bool:
    """Whether this browser has a sign-in waiting for its second factor (cheap: no query)."""
    data = session.get(KEY)
    return isinstance(data, dict) and time.time() - data.get("at", 0) <= current_app.config["SECOND_FACTOR_WAIT_MINUTES"] * 60


def load() -> tuple[User, str] | None:
    """The user of the waiting sign-in and the page to go to, or None (then it is forgotten)."""
    data = session.get(KEY)
    if not waiting():
        clear()
        return None
    user = db.session.get(User, data.get("user"))
    if (
        user is None
        or data.get("check") != _fingerprint(user)
        or user.password_blocked_at is not None
        or not policy.may_log_in(user)
        or not user.has_second_factor
    ):
        clear()
        return None
    return user, data.get("next", "")


def user_id() -> str:
    """The key the second step is throttled by."""
    data = session.get(KEY)
    return f"second-factor:{data.get('user') if isinstance(data, dict) else '-'}"


def clear() -> None:
    session.pop(KEY, None)
