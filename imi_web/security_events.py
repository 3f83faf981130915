"""Security events: sign-in, sessions, password blocks and refused requests (ASVS V7).

Each event is a row of ``security_event`` — apart from the update history, which records
changes to the data — and one line of JSON in the application log (logger
``imi_web.security``). Neither ever holds a password, a token or a cookie. National
coordinators' administrators read their country's events under Administration → Security
events; ``run-jobs`` removes those older than ``SECURITY_EVENT_DAYS``.
"""

import json
import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, request

from .extensions import db
from .inputs import replace_unfit
from .i18n import mark as N_  # a msgid translated when shown (``_l`` is always lazy_gettext)
from .models import SecurityEvent, User, utcnow

logger = logging.getLogger("imi_web.security")

# Kinds of event.
LOGIN_SUCCEEDED = "login_succeeded"
LOGIN_FAILED = "login_failed"
LOGOUT = "logout"
SESSION_TIMED_OUT = "session_timed_out"
SESSIONS_ENDED = "sessions_ended"
PASSWORD_BLOCKED = "password_blocked"
PASSWORD_CHANGED = "password_changed"
PASSWORD_RESET = "password_reset"
ACCESS_REFUSED = "access_refused"
REQUEST_THROTTLED = "request_throttled"
SECOND_FACTOR_ADDED = "second_factor_added"
SECOND_FACTOR_REMOVED = "second_factor_removed"
SECOND_FACTOR_RESET = "second_factor_reset"
SECOND_FACTOR_FAILED = "second_factor_failed"
RECOVERY_CODE_USED = "recovery_code_used"
RECOVERY_CODES_RENEWED = "recovery_codes_renewed"
EXPORT = "export"  # a list downloaded as CSV (imi_web.exports): the reason names the list

# Reasons: why a login failed …
UNKNOWN_USER = "unknown_user"
WRONG_PASSWORD = "wrong_password"
BLOCKED = "blocked"
EXPIRED = "expired"  # the temporary password's days are over
INACTIVE_AUTHORITY = "inactive_authority"
# … why a session timed out (imi_web.sessions: "idle", "absolute") …
# … and why sessions were ended.
BY_USER = "logged_out_elsewhere"
ENDED_BY_PASSWORD_CHANGE = "password_changed"
ENDED_BY_PASSWORD_RESET = "password_reset"
ENDED_BY_PASSWORD_BLOCK = "password_blocked"
ENDED_BY_USER_DELETION = "user_deleted"
ENDED_BY_DEACTIVATION = "authority_deactivated"
ENDED_BY_SECOND_FACTOR_RESET = "second_factor_reset"
# … which list was exported …
EXPORTED_ACCESS_OVERVIEW = "access_overview"
EXPORTED_AUTHORITIES = "managed_authorities"
EXPORTED_USERS = "users"
EXPORTED_EVENTS = "security_events"
# … and which second factor was concerned.
AUTHENTICATOR_APP = "authenticator_app"
PASSKEY = "passkey"
RECOVERY_CODE = "recovery_code"

KIND_LABELS = {
    LOGIN_SUCCEEDED: N_("Login succeeded"),
    LOGIN_FAILED: N_("Login failed"),
    LOGOUT: N_("Logged out"),
    SESSION_TIMED_OUT: N_("Session timed out"),
    SESSIONS_ENDED: N_("Sessions ended"),
    PASSWORD_BLOCKED: N_("Password blocked"),
    PASSWORD_CHANGED: N_("Password changed"),
    PASSWORD_RESET: N_("Password reset"),
    ACCESS_REFUSED: N_("Access refused"),
    REQUEST_THROTTLED: N_("Too many requests"),
    SECOND_FACTOR_ADDED: N_("Second factor added"),
    SECOND_FACTOR_REMOVED: N_("Second factor removed"),
    SECOND_FACTOR_RESET: N_("Second factor reset"),
    SECOND_FACTOR_FAILED: N_("Wrong second factor"),
    RECOVERY_CODE_USED: N_("Recovery code used"),
    RECOVERY_CODES_RENEWED: N_("New recovery codes"),
    EXPORT: N_("Exported to CSV"),
}

REASON_LABELS = {
    UNKNOWN_USER: N_("unknown username"),
    WRONG_PASSWORD: N_("wrong password"),
    BLOCKED: N_("password blocked"),
    EXPIRED: N_("temporary password expired"),
    INACTIVE_AUTHORITY: N_("authority not active"),
    "idle": N_("no activity"),
    "absolute": N_("maximum duration reached"),
    BY_USER: N_("by the user, from another session"),
    ENDED_BY_PASSWORD_CHANGE: N_("password changed"),
    ENDED_BY_PASSWORD_RESET: N_("password reset by an administrator"),
    ENDED_BY_PASSWORD_BLOCK: N_("password blocked"),
    ENDED_BY_USER_DELETION: N_("user deleted"),
    ENDED_BY_DEACTIVATION: N_("authority deactivated"),
    ENDED_BY_SECOND_FACTOR_RESET: N_("second factor reset by an administrator"),
    AUTHENTICATOR_APP: N_("authenticator app"),
    PASSKEY: N_("passkey or security key"),
    RECOVERY_CODE: N_("recovery code"),
    EXPORTED_ACCESS_OVERVIEW: N_("access overview"),
    EXPORTED_AUTHORITIES: N_("managed authorities"),
    EXPORTED_USERS: N_("users of an authority"),
    EXPORTED_EVENTS: N_("security events"),
}


def _cut(value: str | None, length: int) -> str:
    """``value`` cut to the column's length, characters no column can hold (NUL…) replaced:
    a typed username is recorded whatever it holds."""
    return replace_unfit(value or "")[:length]


def record(
    kind: str,
    *,
    user: User | None = None,
    username: str = "",
    actor: User | None = None,
    reason: str = "",
    count: int | None = None,
    object: str = "",
    occurred_at: datetime | None = None,
    connection=None,
) -> None:
    """Record an event: in the request's transaction (it commits with the change that caused
    it), or through ``connection`` when it must stand on its own. Also logs it, one line."""
    authority = user.authority if user is not None else None
    values = {
        "occurred_at": occurred_at or utcnow(),
        "kind": kind,
        "reason": _cut(reason, 40),
        "user_id": user.id if user is not None else None,
        "user_name": _cut(user.full_name if user is not None else "", 210),
        "username": _cut(user.username if user is not None else username, 64),
        "authority_id": authority.id if authority is not None else None,
        "authority_name": _cut(authority.official_name if authority is not None else "", 300),
        "country_id": authority.country_id if authority is not None else None,
        "actor_user_id": actor.id if actor is not None and actor is not user else None,
        "actor_name": _cut(actor.full_name if actor is not None and actor is not user else "", 210),
        "object": _cut(object, 200),
        "count": count,
    }
    if has_request_context():
        values.update(
            method=request.method[:10],
            route=_cut(request.endpoint or request.path, 100),
            address=_cut(request.remote_addr, 45),
        )
    if connection is None:
        db.session.add(SecurityEvent(**values))
    else:
        connection.execute(sa.insert(SecurityEvent).values(**values))
    # One line of JSON: escaped, so a typed username cannot forge further lines.
    line = {k: v for k, v in values.items() if v not in (None, "")}
    logger.info("security event %s", json.dumps(line, ensure_ascii=False, default=str))


def describe_object(view_args: dict | None) -> str:
    """The object of a request, from its URL's variables: "authority_id=12, user_id=5"."""
    return ", ".join(f"{name}={value}" for name, value in sorted((view_args or {}).items()))


def remove_old_events() -> int:
    """The job: delete the events older than SECURITY_EVENT_DAYS; returns how many."""
    cutoff = utcnow() - timedelta(days=current_app.config["SECURITY_EVENT_DAYS"])
    return db.session.execute(sa.delete(SecurityEvent).where(SecurityEvent.occurred_at < cutoff)).rowcount


def init_app(app) -> None:
    app.logger  # noqa: B018 — Flask adds its stderr handler to the app's logger on first use
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
