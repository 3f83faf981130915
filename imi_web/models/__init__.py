"""The domain model, used by every area of the application."""

from .base import (
    AccessStatus,
    AuthorityStatus,
    DelegationScope,
    InvitationStatus,
    Language,
    ModuleRole,
    OutboxStatus,
    PasswordStatus,
    UserStatus,
    fold,
    utcnow,
)
from .authorities import (
    AccessManagerLink,
    Authority,
    ClassificationEntry,
    ClassificationList,
    Country,
    Module,
    ModuleAccess,
    ModuleRight,
)
from .people import PasswordHistory, User
from .security import AuthenticatorApp, Passkey, RecoveryCode, SecurityEvent, UserSession
from . import search_index  # noqa: F401  (index DDL and events)
from .workflow import HistoryEntry, Invitation, JobLock, OutboxMessage

__all__ = [
    "AccessManagerLink",
    "AccessStatus",
    "Authority",
    "AuthenticatorApp",
    "AuthorityStatus",
    "ClassificationEntry",
    "ClassificationList",
    "Country",
    "DelegationScope",
    "HistoryEntry",
    "Invitation",
    "InvitationStatus",
    "JobLock",
    "Language",
    "Module",
    "ModuleAccess",
    "ModuleRight",
    "ModuleRole",
    "OutboxMessage",
    "OutboxStatus",
    "Passkey",
    "PasswordHistory",
    "PasswordStatus",
    "RecoveryCode",
    "SecurityEvent",
    "User",
    "UserSession",
    "UserStatus",
    "fold",
    "utcnow",
]
