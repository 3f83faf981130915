"""Operations on authorities and their module access (R-2.1, R-3.3, R-3.4).

Plain functions: they take the acting user and explicit objects, change the session, record
history and queue mail; the view commits once. A refusal raises ``Refused`` with messages
per form field, shown beside the fields.
"""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from .. import history
from ..extensions import db
from ..models import (
    AccessManagerLink,
    AccessStatus,
    Authority,
    AuthorityStatus,
    ClassificationEntry,
    Module,
    ModuleAccess,
    ModuleRole,
    User,
    utcnow,
)
from ..refusals import Refused
from ..users.operations import grant_all_module_rights, register_user

AUTHORITY_FIELDS = (
    "official_name",
    "informal_name",
    "phone",
    "email",
    "website",
    "street_address",
    "postal_code",
    "city",
)
SETTINGS = ("approval_required", "allocation_by_coordinator", "may_refuse_requests")


def _codes(entries) -> list[str]:
    return sorted(entry.code for entry in entries)


def register_authority(
    actor: User,
    *,
    data: dict,
    classification_entries: list[ClassificationEntry],
    first_user: dict,
) -> tuple[Authority, User]:
    """Step 1 of R-2.1: the authority, active, managed by the actor's authority (R-2.1.6),
    with its first user as administrator (R-2.1.3) who gets a temporary password by mail."""
    manager = actor.authority
    authority = Authority(
        country_id=manager.country_id,
        status=AuthorityStatus.ACTIVE,
        **{field: (data.get(field) or "").strip() for field in AUTHORITY_FIELDS},
    )
    authority.classification_entries = list(classification_entries)
    db.session.add(authority)
    db.session.flush()
    changes = {field: [None, getattr(authority, field)] for field in AUTHORITY_FIELDS if getattr(authority, field)}
    changes["classification"] = [None, _codes(classification_entries)]
    history.record_authority_change(
        "authority.registered",
        actor=actor,
        authority=authority,
        changes=changes,
    )
    add_access_manager(actor, authority, manager)
    user, _password = register_user(authority, actor=actor, is_admin=True, **first_user)
    return authority, user


def update_authority(
    actor: User,
    authority: Authority,
    *,
    data: dict,
    classification_entries: list[ClassificationEntry],
    expected_version: int,
) -> None:
    """Save the authority's data (R-3.2), unless someone else saved it since it was loaded."""
    if authority.version != expected_version:
        raise Refused({"version": [CONFLICT]})
    before = {field: getattr(authority, field) for field in AUTHORITY_FIELDS}
    before["classification"] = _codes(authority.classification_entries)
    for field in AUTHORITY_FIELDS:
        setattr(authority, field, (data.get(field) or "").strip())
    authority.classification_entries = list(classification_entries)
    # Touch the row, so its version moves on even when only the classification changed.
    authority.updated_at = utcnow()
    after = {field: getattr(authority, field) for field in AUTHORITY_FIELDS}
    after["classification"] = _codes(classification_entries)
    changes = history.changes_between(before, after)
    if changes:
        history.record_authority_change("authority.updated", actor=actor, authority=authority, changes=changes)


CONFLICT = _l(
    "Someone else saved this authority while you were editing it. Your changes were not saved: "
    "reload the authority to see the current data, then make your changes again."
)


def add_access_manager(actor: User, authority: Authority, manager: Authority) -> AccessManagerLink:
    link = AccessManagerLink(managed_authority_id=authority.id, manager_authority_id=manager.id)
    db.session.add(link)
    history.record_authority_change(
        "access_manager.added",
        actor=actor,
        authority=authority,
        changes={"access_manager": [None, manager.official_name]},
    )
    return link


def access_managers(authority: Authority) -> list[Authority]:
    return list(
        db.session.scalars(
            sa.select(Authority)
            .join(AccessManagerLink, AccessManagerLink.manager_authority_id == Authority.id)
            .where(AccessManagerLink.managed_authority_id == authority.id)
            .order_by(Authority.official_name)
        )
    )


def linked_coordinator_choices(module: Module, authority: Authority) -> list[Authority]:
    """Active coordinators of ``module`` in the authority's country, other than itself (R-2.1.4)."""
    return list(
        db.session.scalars(
            sa.select(Authority)
            .join(ModuleAccess, ModuleAccess.authority_id == Authority.id)
            .where(
                ModuleAccess.module_id == module.id,
                ModuleAccess.role == ModuleRole.COORDINATOR,
                ModuleAccess.status == AccessStatus.ACTIVE,
                Authority.status == AuthorityStatus.ACTIVE,
                Authority.country_id == authority.country_id,
                Authority.id != authority.id,
            )
            .order_by(Authority.official_name)
        )
    )


def _check_terms(
    authority: Authority,
    module: Module,
    *,
    role: ModuleRole,
    classification_entries: list[ClassificationEntry],
    linked_coordinator: Authority | None,
) -> Authority | None:
    """Validate role-dependent terms; return the linked coordinator to store (or None)."""
    errors = {}
    allowed_entries = set(module.classification_list.entries) if module.classification_list else set()
    if any(entry not in allowed_entries for entry in classification_entries):
        errors["classification"] = [_l("Choose entries of this module's classification list.")]
    if role == ModuleRole.COORDINATOR:
        linked_coordinator = None  # a coordinator has no linked coordinator
    elif linked_coordinator is not None:
        if linked_coordinator not in linked_coordinator_choices(module, authority):
            errors["linked_coordinator"] = [
                _l("The linked coordinator must be an active coordinator of this module in the same country.")
            ]
    elif module.linked_coordinator_required:
        errors["linked_coordinator"] = [_l("This module needs a linked coordinator for the role \"authority\".")]
    if errors:
        raise Refused(errors)
    return linked_coordinator


def _settings(module: Module, settings: dict) -> dict:
    """Information-request settings apply to information-request modules only (R-2.1.4)."""
    if not module.is_information_request:
        return {name: None for name in SETTINGS}
    return {name: bool(settings.get(name)) for name in SETTINGS}


def _terms_snapshot(access: ModuleAccess) -> dict:
    return {
        "role": access.role.value,
        "status": access.status.value,
        "classification": _codes(access.classification_entries),
        "linked_coordinator": access.linked_coordinator.official_name if access.linked_coordinator else None,
        **{name: getattr(access, name) for name in SETTINGS},
    }


def _record_access(action: str, actor: User, access: ModuleAccess, changes: dict) -> None:
    history.record(
        action,
        actor=actor,
        authority=access.authority,
        subject=access,
        subject_label=access.module.code,
        changes=changes,
    )


def grant_module_access(
    actor: User,
    authority: Authority,
    module: Module,
    *,
    role: ModuleRole,
    classification_entries: list[ClassificationEntry],
    linked_coordinator: Authority | None,
    settings: dict,
) -> ModuleAccess:
    """Grant ``module`` (R-2.1.4, R-3.3); every administrator gets all its user rights."""
    existing = db.session.scalar(
        sa.select(ModuleAccess).where(ModuleAccess.authority_id == authority.id, ModuleAccess.module_id == module.id)
    )
    if existing is not None:
        raise Refused({"module": [_l("The authority already has access to this module; restore or edit it instead.")]})
    linked_coordinator = _check_terms(
        authority,
        module,
        role=role,
        classification_entries=classification_entries,
        linked_coordinator=linked_coordinator,
    )
    access = ModuleAccess(
        authority=authority,
        module=module,
        role=role,
        status=AccessStatus.ACTIVE,
        linked_coordinator=linked_coordinator,
        classification_entries=list(classification_entries),
        **_settings(module, settings),
    )
    db.session.add(access)
    db.session.flush()
    admins = [user for user in authority.users if user.is_admin]
    for admin in admins:
        grant_all_module_rights(admin, module)
    _record_access(
        "module_access.granted",
        actor,
        access,
        {
            **{field: [None, value] for field, value in _terms_snapshot(access).items()},
            "all_rights_given_to": [None, sorted(admin.full_name for admin in admins)],
        },
    )
    return access


def update_module_access(
    actor: User,
    access: ModuleAccess,
    *,
    role: ModuleRole,
    classification_entries: list[ClassificationEntry],
    linked_coordinator: Authority | None,
    settings: dict,
) -> ModuleAccess:
    """Change classification, settings and linked coordinator (R-3.3).

    The role may change only while access is suspended.
    """
    if role != access.role and access.is_active:
        raise Refused(
            {"role": [_l("Suspend access to the module before you change the authority's role in it.")]}
        )
    linked_coordinator = _check_terms(
        access.authority,
        access.module,
        role=role,
        classification_entries=classification_entries,
        linked_coordinator=linked_coordinator,
    )
    before = _terms_snapshot(access)
    access.role = role
    access.classification_entries = list(classification_entries)
    access.linked_coordinator = linked_coordinator
    for name, value in _settings(access.module, settings).items():
        setattr(access, name, value)
    changes = history.changes_between(before, _terms_snapshot(access))
    if changes:
        _record_access("module_access.updated", actor, access, changes)
    return access


def suspend_module_access(actor: User, access: ModuleAccess) -> ModuleAccess:
    """Suspend access (R-3.4): no new exchanges, not offered as a partner in the module."""
    if access.status == AccessStatus.SUSPENDED:
        return access
    access.status = AccessStatus.SUSPENDED
    access.suspended_at = utcnow()
    _record_access(
        "module_access.suspended", actor, access, {"status": [AccessStatus.ACTIVE.value, AccessStatus.SUSPENDED.value]}
    )
    return access


def restore_module_access(actor: User, access: ModuleAccess) -> ModuleAccess:
    """Restore suspended access (R-3.3); the linked coordinator must still be valid."""
    if access.status == AccessStatus.ACTIVE:
        return access
    if access.authority.status != AuthorityStatus.ACTIVE:
        raise Refused({"status": [_l("Reactivate the authority before you restore its module access.")]})
    if access.role == ModuleRole.AUTHORITY and (
        (access.linked_coordinator is None and access.module.linked_coordinator_required)
        or (
            access.linked_coordinator is not None
            and access.linked_coordinator not in linked_coordinator_choices(access.module, access.authority)
        )
    ):
        raise Refused(
            {"linked_coordinator": [_l("Choose a linked coordinator that is an active coordinator of the module first.")]}
        )
    access.status = AccessStatus.ACTIVE
    access.suspended_at = None
    _record_access(
        "module_access.restored", actor, access, {"status": [AccessStatus.SUSPENDED.value, AccessStatus.ACTIVE.value]}
    )
    return access
