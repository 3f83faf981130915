"""Shared column helpers and enumerations of the domain model."""

import enum
import unicodedata
from datetime import datetime, timezone

import sqlalchemy as sa


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (what every timestamp column stores)."""
    return datetime.now(timezone.utc)


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware.

    SQLite drops the zone; PostgreSQL keeps it. This type makes both behave alike.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def fold(text: str | None) -> str:
    """Lower-case, accent-free form of a text for searching ("Rīgas" → "rigas")."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def enum_column(enum_cls, **kw):
    """A portable enum column: stored as its string value, checked by a named constraint."""
    return sa.Enum(
        enum_cls,
        name=enum_cls.__name__.lower(),
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
        **kw,
    )


class Language(str, enum.Enum):
    LV = "lv"
    EN = "en"


class AuthorityStatus(str, enum.Enum):
    AWAITING_VALIDATION = "awaiting_validation"  # registered through an invitation
    ACTIVE = "active"
    DEACTIVATED = "deactivated"  # purged six months later
    REJECTED = "rejected"  # an invited registration the access manager rejected


class DelegationScope(str, enum.Enum):
    FULL = "full"  # every module
    PARTIAL = "partial"  # the modules listed in access_manager_scope


class ModuleRole(str, enum.Enum):
    COORDINATOR = "coordinator"
    AUTHORITY = "authority"


class AccessStatus(str, enum.Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class InvitationStatus(str, enum.Enum):
    SENT = "sent"
    REGISTERED = "registered"  # awaiting validation
    VALIDATED = "validated"
    REJECTED = "rejected"
    REVOKED = "revoked"


class OutboxStatus(str, enum.Enum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # the SMTP server refused the address for good; kept for an operator


class UserStatus(str, enum.Enum):
    """R-3.9: "new" never logged in, "active" logged in at least once."""

    NEW = "new"
    ACTIVE = "active"


class PasswordStatus(str, enum.Enum):
    """R-3.9: the password states an access manager sees."""

    TEMPORARY = "temporary"
    VALID = "valid"
    BLOCKED = "blocked"
    EXPIRED = "expired"
