"""Recording changes in the history (R-3.5): actor, time, action, old → new."""

import enum
from datetime import date, datetime

from .i18n import mark as _l  # msgids translated when shown; named so that extraction finds them
from .i18n import mark_in_context as pgettext
from .i18n import translate

import sqlalchemy as sa

from .extensions import db
from .models import Authority, ClassificationEntry, HistoryEntry, Module, ModuleRight, User


def _plain(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    return value


def changes_between(old: dict, new: dict) -> dict:
    """``{field: [old, new]}`` for the fields whose value differs."""
    return {
        field: [_plain(old.get(field)), _plain(new.get(field))]
        for field in new
        if _plain(old.get(field)) != _plain(new.get(field))
    }


def snapshot(obj, fields) -> dict:
    return {field: _plain(getattr(obj, field)) for field in fields}


def record(
    action: str,
    *,
    actor: User | None,
    authority: Authority | None,
    subject=None,
    subject_label: str = "",
    changes: dict | None = None,
) -> HistoryEntry:
    """Add a history entry to the current transaction; it commits (or not) with the change."""
    if any(o is not None and o.id is None for o in (actor, authority, subject)):
        db.session.flush()
    entry = HistoryEntry(
        action=action,
        actor_user_id=actor.id if actor else None,
        actor_name=actor.full_name if actor else "",
        actor_authority_id=actor.authority_id if actor else None,
        authority_id=authority.id if authority else None,
        authority_name=authority.official_name if authority else "",
        subject_type=subject.__tablename__ if subject is not None else "",
        subject_id=subject.id if subject is not None else None,
        subject_label=subject_label,
        changes={k: [_plain(v[0]), _plain(v[1])] for k, v in (changes or {}).items()},
    )
    db.session.add(entry)
    return entry


def record_authority_change(action: str, *, actor: User | None, authority: Authority, changes: dict) -> HistoryEntry:
    """A change to ``authority`` itself, labelled with its official name."""
    return record(
        action, actor=actor, authority=authority, subject=authority, subject_label=authority.official_name, changes=changes
    )


def record_user_change(action: str, *, actor: User | None, user: User, changes: dict) -> HistoryEntry:
    """A change to ``user``, filed under the user's authority with the user's name as label."""
    return record(action, actor=actor, authority=user.authority, subject=user, subject_label=user.full_name, changes=changes)


# What the history shows: a readable label per action and per changed field.
ACTION_LABELS = {
    "authority.bootstrapped": _l("National IMI coordinator created"),
    "authority.registered": _l("Authority registered"),
    "authority.updated": _l("Authority data changed"),
    "authority.deactivated": _l("Authority deactivated"),
    "authority.reactivated": _l("Authority reactivated"),
    "authority.deleted": _l("Deactivated authority deleted"),
    "access_manager.added": _l("Access manager added"),
    "module_access.granted": _l("Access to a module granted"),
    "module_access.updated": _l("Module access changed"),
    "module_access.suspended": _l("Access to a module suspended"),
    "module_access.restored": _l("Access to a module restored"),
    "user.registered": _l("User registered"),
    "user.password_changed": _l("Password changed"),
    "user.password_blocked": _l("Password blocked"),
    "user.language_changed": _l("Language changed"),
    "user.username_changed": _l("Username changed"),
    "user.rights_changed": _l("User rights changed"),
    "user.password_reset": _l("Password reset"),
    "user.deleted": _l("User deleted"),
    "module.added": _l("Module introduced"),
    "demo.loaded": _l("Demo data loaded"),
    "access_manager.removed": _l("Access manager removed"),
    "access_manager.delegation_changed": _l("Access-manager delegation changed"),
    "mailing.sent": _l("E-mail sent to authorities"),
    "invitation.created": _l("Registration invitation sent"),
    "invitation.resent": _l("Registration invitation sent again"),
    "invitation.revoked": _l("Registration invitation revoked"),
    "invitation.registered": _l("Invited authority registered"),
    "invitation.validated": _l("Invited authority validated"),
    "invitation.rejected": _l("Invited authority rejected"),
    "authority.self_registered": _l("Authority registered through an invitation"),
    "authority.validated": _l("Authority validated"),
    "authority.rejected": _l("Registration rejected"),
    "user.updated": _l("User data changed"),
    "user.second_factor_added": _l("Second factor added"),
    "user.second_factor_removed": _l("Second factor removed"),
    "user.second_factor_reset": _l("Second factor reset"),
    "user.recovery_code_used": _l("Recovery code used"),
    "user.recovery_codes_renewed": _l("New recovery codes"),
}

FIELD_LABELS = {
    "official_name": _l("Official name"),
    "informal_name": _l("Informal name"),
    "phone": _l("Phone"),
    "email": _l("E-mail"),
    "website": _l("Website"),
    "street_address": _l("Street address"),
    "postal_code": _l("Postal code"),
    "city": _l("City"),
    "classification": _l("Classification"),
    "access_manager": _l("Access manager"),
    "role": _l("Role in the module"),
    "status": _l("Status"),
    "linked_coordinator": _l("Linked coordinator"),
    "approval_required": _l("Requests need approval before they are sent"),
    "allocation_by_coordinator": _l("Incoming requests are allocated by the coordinator"),
    "may_refuse_requests": _l("May refuse requests"),
    "all_rights_given_to": _l("All user rights given to"),
    "first_name": _l("First name"),
    "surname": _l("Surname"),
    "language": _l("Language"),
    "username": _l("Username"),
    "is_admin": _l("Administrator rights"),
    "rights": _l("User rights"),
    "password_status": _l("Password status"),
    "is_nimic": _l("National IMI coordinator (NIMIC)"),
    "code": _l("Code"),
    "delegation": _l("Access-manager capability"),
    "delegated_modules": _l("Delegated modules"),
    "subject": _l("Subject"),
    "audience": _l("Sent to"),
    "authorities": _l("Number of authorities"),
    "recipients": _l("Number of recipients"),
    "deactivated_at": _l("Deactivated on"),
    "rejected_at": _l("Rejected on"),
    "users": _l("Users"),
    "suggested_name": _l("Suggested authority name"),
    "expires_at": _l("Valid until"),
    "authority": _l("Authority"),
    "rejection_reason": _l("Reason for the rejection"),
    "temporary_password_sent_to": _l("Temporary password sent to"),
    "authenticator_app": _l("Authenticator app"),
    "passkeys": _l("Passkeys and security keys"),
    "recovery_codes": _l("Unused recovery codes"),
}


# Codes stored as values, shown in the reader's language (glossary terms).
VALUE_LABELS = {
    "active": _l("active"),
    "suspended": _l("suspended"),
    "deactivated": _l("deactivated"),
    "deleted": _l("deleted"),
    "awaiting_validation": _l("awaiting validation"),
    "coordinator": _l("coordinator"),
    "authority": _l("authority"),
    "temporary": _l("temporary"),
    "valid": _l("valid"),
    "blocked": _l("blocked"),
    "expired": _l("expired"),
    "full": _l("all modules"),
    "partial": _l("chosen modules only"),
    "administrators": _l("the administrators of the authorities"),
    "all_users": _l("all users of the authorities"),
    "rejected": _l("rejected"),
    # Invitation statuses; an authority's "rejected" is the entry above.
    "sent": pgettext("invitation status", "sent"),
    "registered": pgettext("invitation status", "registered — awaiting validation"),
    "validated": pgettext("invitation status", "validated"),
    "revoked": pgettext("invitation status", "revoked"),
}


def action_label(action: str) -> str:
    return translate(ACTION_LABELS[action]) if action in ACTION_LABELS else action


def field_label(field: str) -> str:
    return translate(FIELD_LABELS[field]) if field in FIELD_LABELS else field


LANGUAGE_NAMES = {"lv": _l("Latvian"), "en": _l("English")}


def code_labels(entries, language: str) -> dict:
    """Names in the reader's language for the codes the entries store: classification entries
    ("CONSTR"), user rights ("SVC:SEND"), languages ("en"), and the module a module access
    entry is about (its label is the module's code). Keyed ``(field, code)``, and
    ``("subject", entry id)`` for module accesses; at most three queries for a page."""
    pick = (lambda row: row.name_lv) if language == "lv" else (lambda row: row.name_en)
    found = {"classification": set(), "rights": set(), "module": set()}
    for entry in entries:
        for field, values in (entry.changes or {}).items():
            if field in ("classification", "rights"):
                for value in values:
                    found[field].update(v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str))
        if entry.subject_type == "module_access" and entry.subject_label:
            found["module"].add(entry.subject_label)
    found["module"].update(code.partition(":")[0] for code in found["rights"])
    labels = {("language", code): translate(name) for code, name in LANGUAGE_NAMES.items()}
    if found["classification"]:
        rows = db.session.execute(
            sa.select(ClassificationEntry.code, ClassificationEntry.name_lv, ClassificationEntry.name_en).where(
                ClassificationEntry.code.in_(found["classification"])
            )
        )
        labels.update({("classification", row.code): pick(row) for row in rows})
    modules = {}
    if found["module"]:
        rows = db.session.execute(sa.select(Module.code, Module.name_lv, Module.name_en).where(Module.code.in_(found["module"])))
        modules = {row.code: pick(row) for row in rows}
        labels.update({("module", code): name for code, name in modules.items()})
    if found["rights"]:
        rows = db.session.execute(
            sa.select(Module.code.label("module"), ModuleRight.code, ModuleRight.name_lv, ModuleRight.name_en)
            .join(Module, Module.id == ModuleRight.module_id)
            .where(Module.code.in_({code.partition(":")[0] for code in found["rights"]}))
        )
        for row in rows:
            labels[("rights", f"{row.module}:{row.code}")] = f"{modules.get(row.module, row.module)}: {pick(row)}"
    for entry in entries:
        if entry.subject_type == "module_access" and ("module", entry.subject_label) in labels:
            labels[("subject", entry.id)] = labels[("module", entry.subject_label)]
    return labels
