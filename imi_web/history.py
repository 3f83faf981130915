"""Recording changes in the history (R-3.5): actor, time, action, old → new."""

import enum
from datetime import date, datetime

from .i18n import mark as N_  # a msgid translated when shown (``_l`` is always lazy_gettext)
from .i18n import mark_in_context as NP_
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


def record_status_change(action: str, *, actor: User | None, authority: Authority, old, **changes) -> HistoryEntry:
    """``authority.status`` changed from ``old`` to what it is now, with whatever else changed."""
    changes = {"status": [old.value, authority.status.value], **changes}
    return record_authority_change(action, actor=actor, authority=authority, changes=changes)


def record_user_change(action: str, *, actor: User | None, user: User, changes: dict) -> HistoryEntry:
    """A change to ``user``, filed under the user's authority with the user's name as label."""
    return record(action, actor=actor, authority=user.authority, subject=user, subject_label=user.full_name, changes=changes)


# What the history shows: a readable label per action and per changed field.
ACTION_LABELS = {
    "authority.bootstrapped": N_("National IMI coordinator created"),
    "authority.registered": N_("Authority registered"),
    "authority.updated": N_("Authority data changed"),
    "authority.deactivated": N_("Authority deactivated"),
    "authority.reactivated": N_("Authority reactivated"),
    "authority.deleted": N_("Deactivated authority deleted"),
    "access_manager.added": N_("Access manager added"),
    "module_access.granted": N_("Access to a module granted"),
    "module_access.updated": N_("Module access changed"),
    "module_access.suspended": N_("Access to a module suspended"),
    "module_access.restored": N_("Access to a module restored"),
    "user.registered": N_("User registered"),
    "user.password_changed": N_("Password changed"),
    "user.password_blocked": N_("Password blocked"),
    "user.language_changed": N_("Language changed"),
    "user.username_changed": N_("Username changed"),
    "user.rights_changed": N_("User rights changed"),
    "user.password_reset": N_("Password reset"),
    "user.deleted": N_("User deleted"),
    "module.added": N_("Module introduced"),
    "demo.loaded": N_("Demo data loaded"),
    "access_manager.removed": N_("Access manager removed"),
    "access_manager.delegation_changed": N_("Access-manager delegation changed"),
    "mailing.sent": N_("E-mail sent to authorities"),
    "invitation.created": N_("Registration invitation sent"),
    "invitation.resent": N_("Registration invitation sent again"),
    "invitation.revoked": N_("Registration invitation revoked"),
    "invitation.registered": N_("Invited authority registered"),
    "invitation.validated": N_("Invited authority validated"),
    "invitation.rejected": N_("Invited authority rejected"),
    "authority.self_registered": N_("Authority registered through an invitation"),
    "authority.validated": N_("Authority validated"),
    "authority.rejected": N_("Registration rejected"),
    "user.updated": N_("User data changed"),
    "user.second_factor_added": N_("Second factor added"),
    "user.second_factor_removed": N_("Second factor removed"),
    "user.second_factor_reset": N_("Second factor reset"),
    "user.recovery_code_used": N_("Recovery code used"),
    "user.recovery_codes_renewed": N_("New recovery codes"),
}

FIELD_LABELS = {
    "official_name": N_("Official name"),
    "informal_name": N_("Informal name"),
    "phone": N_("Phone"),
    "email": N_("E-mail"),
    "website": N_("Website"),
    "street_address": N_("Street address"),
    "postal_code": N_("Postal code"),
    "city": N_("City"),
    "classification": N_("Classification"),
    "access_manager": N_("Access manager"),
    "role": N_("Role in the module"),
    "status": N_("Status"),
    "linked_coordinator": N_("Linked coordinator"),
    "approval_required": N_("Requests need approval before they are sent"),
    "allocation_by_coordinator": N_("Incoming requests are allocated by the coordinator"),
    "may_refuse_requests": N_("May refuse requests"),
    "all_rights_given_to": N_("All user rights given to"),
    "first_name": N_("First name"),
    "surname": N_("Surname"),
    "language": N_("Language"),
    "username": N_("Username"),
    "is_admin": N_("Administrator rights"),
    "rights": N_("User rights"),
    "password_status": N_("Password status"),
    "is_nimic": N_("National IMI coordinator (NIMIC)"),
    "code": N_("Code"),
    "delegation": N_("Access-manager capability"),
    "delegated_modules": N_("Delegated modules"),
    "subject": N_("Subject"),
    "audience": N_("Sent to"),
    "authorities": N_("Number of authorities"),
    "recipients": N_("Number of recipients"),
    "deactivated_at": N_("Deactivated on"),
    "rejected_at": N_("Rejected on"),
    "users": N_("Users"),
    "suggested_name": N_("Suggested authority name"),
    "expires_at": N_("Valid until"),
    "authority": N_("Authority"),
    "rejection_reason": N_("Reason for the rejection"),
    "temporary_password_sent_to": N_("Temporary password sent to"),
    "authenticator_app": N_("Authenticator app"),
    "passkeys": N_("Passkeys and security keys"),
    "recovery_codes": N_("Unused recovery codes"),
}


# Codes stored as values, shown in the reader's language (glossary terms).
VALUE_LABELS = {
    "active": N_("active"),
    "suspended": N_("suspended"),
    "deactivated": N_("deactivated"),
    "deleted": N_("deleted"),
    "awaiting_validation": N_("awaiting validation"),
    "coordinator": N_("coordinator"),
    "authority": N_("authority"),
    "temporary": N_("temporary"),
    "valid": N_("valid"),
    "blocked": N_("blocked"),
    "expired": N_("expired"),
    "full": N_("all modules"),
    "partial": N_("chosen modules only"),
    "administrators": N_("the administrators of the authorities"),
    "all_users": N_("all users of the authorities"),
    "rejected": N_("rejected"),
    # Invitation statuses; an authority's "rejected" is the entry above.
    "sent": NP_("invitation status", "sent"),
    "registered": NP_("invitation status", "registered — awaiting validation"),
    "validated": NP_("invitation status", "validated"),
    "revoked": NP_("invitation status", "revoked"),
}


def action_label(action: str) -> str:
    return translate(ACTION_LABELS[action]) if action in ACTION_LABELS else action


def field_label(field: str) -> str:
    return translate(FIELD_LABELS[field]) if field in FIELD_LABELS else field


LANGUAGE_NAMES = {"lv": N_("Latvian"), "en": N_("English")}


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
