"""Tab "Modules" as it is shown: plain rows, read with two statements on the connection.

The tab is read far more often than it is changed (every switch to it, every row put back
after an edit). Loading it as ORM objects — every module with the authority's access to it,
the accesses' classification entries and linked coordinators, five mappers — costs several
times what these two statements cost (bench/README.md: "Tab Modules reads rows"), and a tab
that only reads gains nothing from objects. So it reads rows; changes still go through the ORM
objects in ``operations.py``, and the rows are read again after them.
"""

from collections import defaultdict
from dataclasses import dataclass, replace

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from .. import policy
from ..extensions import db
from ..models import (
    AccessStatus,
    Authority,
    ClassificationEntry,
    ClassificationList,
    Module,
    ModuleAccess,
    ModuleRole,
)
from ..models.authorities import module_access_classification
from .tabs import tab


@dataclass(frozen=True, slots=True)
class ModuleRow:
    """A module as the tab shows it (and as the policy asks about it: ``id``)."""

    id: int
    code: str
    name_lv: str
    name_en: str
    is_information_request: bool
    linked_coordinator_required: bool
    has_classification: bool

    def name(self, language: str) -> str:
        return self.name_lv if language == "lv" else self.name_en


@dataclass(frozen=True, slots=True)
class EntryRow:
    """A classification entry chosen for an access."""

    name_lv: str
    name_en: str

    def name(self, language: str) -> str:
        return self.name_lv if language == "lv" else self.name_en


@dataclass(frozen=True, slots=True)
class AccessRow:
    """The authority's access to a module, with what the tab shows of it."""

    id: int
    module: ModuleRow
    role: ModuleRole
    status: AccessStatus
    approval_required: bool | None
    allocation_by_coordinator: bool | None
    may_refuse_requests: bool | None
    linked_coordinator_name: str | None
    classification_entries: tuple[EntryRow, ...]
    may_manage: bool = False  # whether the acting user may edit, suspend and restore it (``shown``)

    @property
    def is_active(self) -> bool:
        return self.status == AccessStatus.ACTIVE


_coordinator = aliased(Authority, name="coordinator")

# What a row shows: the module, the access to it (if any) and its linked coordinator.
_ROW = (
    Module.id,
    Module.code,
    Module.name_lv,
    Module.name_en,
    Module.is_information_request,
    Module.linked_coordinator_required,
    ClassificationList.id.label("list_id"),
    ModuleAccess.id.label("access_id"),
    ModuleAccess.role,
    ModuleAccess.status,
    ModuleAccess.approval_required,
    ModuleAccess.allocation_by_coordinator,
    ModuleAccess.may_refuse_requests,
    _coordinator.official_name.label("coordinator_name"),
)

# Every module (the accesses make the list, the modules without one the grant list), with
# the authority's access to it and the access's linked coordinator: one row a module.
_MODULES_WITH_ACCESS = (
    sa.select(*_ROW)
    .outerjoin(ClassificationList, ClassificationList.module_id == Module.id)
    .outerjoin(
        ModuleAccess,
        sa.and_(ModuleAccess.module_id == Module.id, ModuleAccess.authority_id == sa.bindparam("authority_id")),
    )
    .outerjoin(_coordinator, _coordinator.id == ModuleAccess.linked_coordinator_id)
    .order_by(Module.code)
)

# One access of the authority, as the same row (an inline edit puts back just that row).
_ONE_ACCESS = (
    sa.select(*_ROW)
    .select_from(ModuleAccess)
    .join(Module, Module.id == ModuleAccess.module_id)
    .outerjoin(ClassificationList, ClassificationList.module_id == Module.id)
    .outerjoin(_coordinator, _coordinator.id == ModuleAccess.linked_coordinator_id)
    .where(ModuleAccess.id == sa.bindparam("access_id"), ModuleAccess.authority_id == sa.bindparam("authority_id"))
)

# The classification entries chosen for some accesses, in each list's order.
_ACCESS_ENTRIES = (
    sa.select(module_access_classification.c.module_access_id, ClassificationEntry.name_lv, ClassificationEntry.name_en)
    .join(ClassificationEntry, ClassificationEntry.id == module_access_classification.c.entry_id)
    .where(module_access_classification.c.module_access_id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(ClassificationEntry.position, ClassificationEntry.id)
)


def _read(statement, params: dict) -> tuple[list[AccessRow], list[ModuleRow]]:
    """The rows of ``statement`` as accesses and modules without one, with the accesses' entries."""
    connection = db.session.connection()
    rows = connection.execute(statement, params).all()
    classified = [row.access_id for row in rows if row.access_id is not None and row.list_id is not None]
    entries = defaultdict(list)
    if classified:
        for access_id, name_lv, name_en in connection.execute(_ACCESS_ENTRIES, {"ids": classified}):
            entries[access_id].append(EntryRow(name_lv, name_en))
    accesses, without = [], []
    for row in rows:
        module = ModuleRow(
            row.id,
            row.code,
            row.name_lv,
            row.name_en,
            row.is_information_request,
            row.linked_coordinator_required,
            row.list_id is not None,
        )
        if row.access_id is None:
            without.append(module)
            continue
        accesses.append(
            AccessRow(
                row.access_id,
                module,
                row.role,
                row.status,
                row.approval_required,
                row.allocation_by_coordinator,
                row.may_refuse_requests,
                row.coordinator_name,
                tuple(entries.get(row.access_id, ())),
            )
        )
    return accesses, without


def module_rows(authority_id: int) -> tuple[list[AccessRow], list[ModuleRow]]:
    """The authority's accesses and the modules it has no access to, each in code order."""
    return _read(_MODULES_WITH_ACCESS, {"authority_id": authority_id})


def shown(user, authority: Authority, access: AccessRow) -> AccessRow:
    """The row as its template shows it: with what the acting user may do to it."""
    return replace(access, may_manage=policy.may_manage_module(user, authority, access.module))


def access_row(authority: Authority, access_id: int) -> AccessRow | None:
    """One access of the authority as the tab shows it (None: gone meanwhile)."""
    accesses, _ = _read(_ONE_ACCESS, {"authority_id": authority.id, "access_id": access_id})
    return shown(policy.acting_user(), authority, accesses[0]) if accesses else None


@tab("modules")
def modules_context(authority: Authority, context: dict) -> dict:
    """Tab Modules: the accesses as rows, and the modules the user may grant."""
    user = policy.acting_user()
    accesses, without = module_rows(authority.id)
    grantable = [module for module in without if policy.may_grant_module(user, authority, module)]
    return {"accesses": [shown(user, authority, access) for access in accesses], "grantable": grantable}
