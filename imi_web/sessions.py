"""Sign-in sessions kept in the database (``user_session``).

Each login creates a row; the browser's cookie (Flask's signed session) carries a random
token, the row only its SHA-256 hash, so a copy of the table opens no session. Deleting the
row ends the session at once, on every server: logout, "Log out other sessions", and every
change that must end a user's sessions (password change, reset, block, deletion of the user,
deactivation of the authority) go through ``end_user_sessions``.

Why a table of our own rather than Flask-Session: Flask-Session stores the whole session
dict per browser (anonymous visitors too, so every visit to the login page would write a row),
writes its expiry on every request, and cannot list or end the sessions of one user. Here only
a login writes a row, the last activity is written at most once a minute, the anonymous state
(language, CSRF token, flash messages) stays in the signed cookie, and the row is read in the
same query as the user on every request.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import sqlalchemy as sa
from flask import current_app, request
from sqlalchemy.orm import contains_eager
from ua_parser import parse as parse_user_agent

from . import policy, security_events
from .extensions import db
from .models import User, UserSession, utcnow

# Why a session that the cookie names is over (``Resolved.ended``).
IDLE = "idle"
ABSOLUTE = "absolute"
ENDED = "ended"  # logged out, ended by someone, or no longer known


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def client_address() -> str:
    """The client's address (behind a trusted proxy, the one it reports: TRUSTED_PROXY_COUNT)."""
    return (request.remote_addr or "")[:45]


@lru_cache(maxsize=256)
def describe_browser(user_agent: str) -> str:
    """"Firefox 133 · Windows 10" from a User-Agent header (ua-parser's regular expressions)."""
    if not user_agent:
        return ""
    parsed = parse_user_agent(user_agent[:500])
    parts = []
    if parsed.user_agent is not None:
        parts.append(" ".join(filter(None, (parsed.user_agent.family, parsed.user_agent.major))))
    if parsed.os is not None:
        parts.append(" ".join(filter(None, (parsed.os.family, parsed.os.major))))
    return " · ".join(parts)[:120] or user_agent[:120]


def start_session(user: User) -> str:
    """A new session of ``user`` for this request's browser; returns its token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        UserSession(
            token_hash=_hash(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            address=client_address(),
            browser=describe_browser(request.user_agent.string),
        )
    )
    user.session_token = token
    return token


def rotate_session(user: User, token: str) -> str:
    """Give the current session a new token (after a password change): whoever holds the old
    cookie is logged out; the session keeps its start, so its lifetime does not grow."""
    new_token = secrets.token_urlsafe(32)
    db.session.execute(
        sa.update(UserSession).where(UserSession.token_hash == _hash(token)).values(token_hash=_hash(new_token))
    )
    user.session_token = new_token
    return new_token


def end_session(token: str | None) -> bool:
    """Delete the session ``token`` names (logout); True if there was one."""
    if not token:
        return False
    return db.session.execute(sa.delete(UserSession).where(UserSession.token_hash == _hash(token))).rowcount > 0


def end_user_sessions(user: User, *, reason: str, actor: User | None, keep_token: str | None = None) -> int:
    """End every session of ``user`` (but the one ``keep_token`` names) and record it; the
    caller commits. Returns how many ended."""
    query = sa.delete(UserSession).where(UserSession.user_id == user.id)
    if keep_token:
        query = query.where(UserSession.token_hash != _hash(keep_token))
    ended = db.session.execute(query.execution_options(synchronize_session=False)).rowcount
    if ended:
        security_events.record(security_events.SESSIONS_ENDED, user=user, actor=actor, reason=reason, count=ended)
    return ended


def end_session_of_user(user: User, session_id: int, *, actor: User, keep_token: str | None = None) -> bool:
    """End one session of ``user`` (from My profile → Sessions), never the one ``keep_token``
    names; False if there is no such session of theirs."""
    query = sa.delete(UserSession).where(UserSession.id == session_id, UserSession.user_id == user.id)
    if keep_token:
        query = query.where(UserSession.token_hash != _hash(keep_token))
    ended = db.session.execute(query.execution_options(synchronize_session=False)).rowcount
    if ended:
        security_events.record(
            security_events.SESSIONS_ENDED, user=user, actor=actor, reason=security_events.BY_USER, count=ended
        )
    return bool(ended)


@dataclass(frozen=True)
class ActiveSession:
    id: int
    created_at: datetime
    last_seen_at: datetime
    address: str
    browser: str
    current: bool


def active_sessions(user: User, current_token: str | None) -> list[ActiveSession]:
    """The user's sessions that have not ended, the current one first, then newest first."""
    now = utcnow()
    idle_since, started_since = _limits(now)
    current_hash = _hash(current_token) if current_token else None
    rows = db.session.execute(
        sa.select(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.last_seen_at > idle_since,
            UserSession.created_at > started_since,
        )
        .order_by(UserSession.created_at.desc(), UserSession.id.desc())
    ).scalars()
    sessions = [
        ActiveSession(s.id, s.created_at, s.last_seen_at, s.address, s.browser, s.token_hash == current_hash) for s in rows
    ]
    return sorted(sessions, key=lambda s: not s.current)


def _limits(now: datetime) -> tuple[datetime, datetime]:
    """A session is over if its last activity is before the first or its start before the second."""
    config = current_app.config
    return (
        now - timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
        now - current_app.permanent_session_lifetime,
    )


# The user, its authority and the session's times in one query by the unique token hash.
_USER_BY_SESSION = (
    sa.select(User, UserSession.id, UserSession.created_at, UserSession.last_seen_at)
    .join(User.authority)
    .options(contains_eager(User.authority))
    .join(UserSession, UserSession.user_id == User.id)
    .where(UserSession.token_hash == sa.bindparam("token_hash"))
)


@dataclass(frozen=True)
class Resolved:
    user: User | None
    ended: str | None = None  # IDLE, ABSOLUTE or ENDED when the cookie's session is over
    language: str | None = None  # of the user whose session timed out


def resolve(token: str) -> Resolved:
    """The user whose live session ``token`` names. Each request costs one indexed read; the
    last activity is written at most every SESSION_TOUCH_SECONDS, and a session found over is
    deleted and recorded — both in a transaction of their own, apart from the request's."""
    row = db.session.execute(_USER_BY_SESSION, {"token_hash": _hash(token)}).first()
    if row is None:
        return Resolved(None, ENDED)
    user, session_id, created_at, last_seen_at = row
    now = utcnow()
    idle_since, started_since = _limits(now)
    if created_at <= started_since or last_seen_at <= idle_since:
        reason, ended_at = _ending(created_at, last_seen_at)
        _time_out(session_id, user, reason, ended_at)
        return Resolved(None, reason, user.language)
    if not policy.may_log_in(user):
        return Resolved(None, ENDED)
    if (now - last_seen_at).total_seconds() >= current_app.config["SESSION_TOUCH_SECONDS"]:
        with db.engine.begin() as connection:
            connection.execute(
                sa.update(UserSession)
                .where(UserSession.id == session_id, UserSession.last_seen_at < now)
                .values(last_seen_at=now)
            )
    user.session_token = token
    return Resolved(user)


def _ending(created_at: datetime, last_seen_at: datetime) -> tuple[str, datetime]:
    """Why and when a session that is over ended: whichever limit came first."""
    absolute_end = created_at + current_app.permanent_session_lifetime
    idle_end = last_seen_at + timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    return (ABSOLUTE, absolute_end) if absolute_end <= idle_end else (IDLE, idle_end)


def _time_out(session_id: int, user: User, reason: str, ended_at: datetime) -> bool:
    """Delete a session that is over and record that it timed out — once, even if two
    requests (or the clean-up job) find it at the same moment."""
    with db.engine.begin() as connection:
        deleted = connection.execute(sa.delete(UserSession).where(UserSession.id == session_id)).rowcount
        if deleted:
            security_events.record(
                security_events.SESSION_TIMED_OUT, user=user, reason=reason, occurred_at=ended_at, connection=connection
            )
    return bool(deleted)


def remove_ended_sessions() -> int:
    """The job: delete the sessions that timed out unseen, each recorded as timed out."""
    idle_since, started_since = _limits(utcnow())
    over = db.session.execute(
        sa.select(UserSession.id, UserSession.created_at, UserSession.last_seen_at, User)
        .join(User, User.id == UserSession.user_id)
        .where(sa.or_(UserSession.last_seen_at <= idle_since, UserSession.created_at <= started_since))
        .order_by(UserSession.id)
    ).all()
    removed = 0
    for session_id, created_at, last_seen_at, user in over:
        removed += _time_out(session_id, user, *_ending(created_at, last_seen_at))
    return removed
