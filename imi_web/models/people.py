"""Users, their module rights and password history."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import PasswordStatus, UserStatus, UTCDateTime, fold, utcnow
from .authorities import Authority, ModuleRight

user_module_right = sa.Table(
    "user_module_right",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("right_id", sa.ForeignKey("module_right.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class User(UserMixin, db.Model):
    __tablename__ = "user_account"  # "user" is reserved in PostgreSQL
    __table_args__ = (
        sa.Index("ix_user_account_authority_surname", "authority_id", "search_name"),
        sa.Index("ix_user_account_password_set_at", "password_set_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authority.id", ondelete="CASCADE"))
    first_name: Mapped[str] = mapped_column(sa.String(100))
    surname: Mapped[str] = mapped_column(sa.String(100))
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    language: Mapped[str] = mapped_column(sa.String(2), default="lv")
    # Stored in lower case, so uniqueness is case-insensitive on every database.
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    search_name: Mapped[str] = mapped_column(sa.String(210), default="")
    is_admin: Mapped[bool] = mapped_column(default=False)

    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    password_is_temporary: Mapped[bool] = mapped_column(default=True)
    password_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_login_count: Mapped[int] = mapped_column(default=0)
    # The days-before-expiry threshold of the last reminder mailed for this password.
    password_reminder_days: Mapped[int | None] = mapped_column()
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Whether the user has a second factor (a confirmed authenticator app or a passkey): kept
    # by imi_web.second_factor, so that the sign-in and the Users tab need no further query.
    has_second_factor: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    authority: Mapped[Authority] = relationship(back_populates="users")
    module_rights: Mapped[list[ModuleRight]] = relationship(secondary=user_module_right)
    password_history: Mapped[list["PasswordHistory"]] = relationship(
        back_populates="user",
        order_by="PasswordHistory.id.desc()",
        cascade="all, delete-orphan",
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.surname}"

    # The token of the sign-in session this request runs in (``imi_web.sessions``), set when
    # the session starts or is loaded. Flask-Login keeps ``get_id()`` in the cookie, so the
    # cookie names the session, never the user.
    session_token = None

    def get_id(self) -> str | None:
        return self.session_token

    @property
    def status(self) -> UserStatus:
        return UserStatus.ACTIVE if self.last_login_at else UserStatus.NEW

    def password_expires_at(self) -> datetime | None:
        """When the password stops working: a chosen one after six months (it must then be
        changed at the next login, R-3.8), a temporary one after a few days (it can no longer
        be used to log in, ASVS 2.3.1)."""
        if self.password_set_at is None:
            return None
        if self.password_is_temporary:
            return self.password_set_at + timedelta(days=current_app.config["TEMPORARY_PASSWORD_VALID_DAYS"])
        return self.password_set_at + timedelta(days=current_app.config["PASSWORD_MAX_AGE_DAYS"])

    def password_status(self, now: datetime | None = None) -> PasswordStatus:
        if self.password_blocked_at is not None:
            return PasswordStatus.BLOCKED
        expires = self.password_expires_at()
        if expires is not None and (now or utcnow()) >= expires:
            return PasswordStatus.EXPIRED
        if self.password_is_temporary:
            return PasswordStatus.TEMPORARY
        return PasswordStatus.VALID

    def temporary_password_expired(self, now: datetime | None = None) -> bool:
        return self.password_is_temporary and self.password_status(now) == PasswordStatus.EXPIRED

    def __repr__(self):
        return f"<User {self.username}>"


@sa.event.listens_for(User, "before_insert")
@sa.event.listens_for(User, "before_update")
def _fold_user_name(mapper, connection, user):
    user.search_name = fold(f"{user.surname} {user.first_name}")
    user.username = user.username.lower()


class PasswordHistory(db.Model):
    """Hashes of the passwords a user chose, newest first, for the "not one of the last 5" rule."""

    __tablename__ = "password_history"
    __table_args__ = (sa.Index("ix_password_history_user", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="password_history")
