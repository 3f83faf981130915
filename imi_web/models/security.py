"""Sign-in sessions and security events: records of the sign-in layer, apart from the history."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class UserSession(db.Model):
    """One login: the cookie carries a random token, the table only its SHA-256 hash.

    The session lasts until logout, ``SESSION_IDLE_MINUTES`` without a request or
    ``PERMANENT_SESSION_LIFETIME`` after the login, whichever comes first; deleting the row
    ends it at once, on every server.
    """

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Moved forward at most once a minute (SESSION_TOUCH_SECONDS), not on every request.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    address: Mapped[str] = mapped_column(sa.String(45), default="")
    browser: Mapped[str] = mapped_column(sa.String(120), default="")


class SecurityEvent(db.Model):
    """A sign-in or access event (login, logout, timeout, block, refusal …), kept for
    ``SECURITY_EVENT_DAYS``. Names are snapshots, so an event stays readable after the user or
    the authority is gone; no password, token or cookie is ever stored."""

    __tablename__ = "security_event"
    __table_args__ = (
        sa.Index("ix_security_event_country_time", "country_id", "occurred_at"),
        sa.Index("ix_security_event_user_time", "user_id", "occurred_at"),
        sa.Index("ix_security_event_authority_time", "authority_id", "occurred_at"),
        sa.Index("ix_security_event_username_time", "username", "occurred_at"),
        sa.Index("ix_security_event_time", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(sa.String(40))
    # The internal reason, e.g. why a login failed ("wrong_password") or a session ended.
    reason: Mapped[str] = mapped_column(sa.String(40), default="")
    # The user the event concerns (for a failed login, the account the username names).
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    user_name: Mapped[str] = mapped_column(sa.String(210), default="")
    username: Mapped[str] = mapped_column(sa.String(64), default="")
    authority_id: Mapped[int | None] = mapped_column(sa.ForeignKey("authority.id", ondelete="SET NULL"))
    authority_name: Mapped[str] = mapped_column(sa.String(300), default="")
    # The country whose national coordinator sees the event.
    country_id: Mapped[int | None] = mapped_column(sa.ForeignKey("country.id", ondelete="SET NULL"))
    # Who caused it, when someone else did (an administrator's reset ends the user's sessions).
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(sa.String(210), default="")
    method: Mapped[str] = mapped_column(sa.String(10), default="")
    route: Mapped[str] = mapped_column(sa.String(100), default="")
    # The object of a refused request: its URL's variables ("authority_id=12").
    object: Mapped[str] = mapped_column(sa.String(200), default="")
    address: Mapped[str] = mapped_column(sa.String(45), default="")
    count: Mapped[int | None] = mapped_column()


class AuthenticatorApp(db.Model):
    """A user's authenticator app (TOTP, RFC 6238). The shared secret is kept encrypted with a
    key derived from SECRET_KEY (``imi_web.second_factor.secrets``); ``last_used_step`` is the
    time step of the last code accepted, so no code works twice."""

    __tablename__ = "authenticator_app"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    secret: Mapped[str] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the user has confirmed the app with a first code; until then it is not a factor.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_step: Mapped[int | None] = mapped_column(sa.BigInteger)


class RecoveryCode(db.Model):
    """One of the ten single-use recovery codes, stored as a SHA-256 hash (the codes are random)."""

    __tablename__ = "recovery_code"
    __table_args__ = (sa.UniqueConstraint("user_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Passkey(db.Model):
    """A passkey or security key (WebAuthn credential) of a user, named by the user."""

    __tablename__ = "passkey"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    credential_id: Mapped[str] = mapped_column(sa.String(700), unique=True)  # base64url
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary)
    sign_count: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    transports: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
