"""The access overview as CSV: one line per authority and module (an authority without
access to any visible module: one line without module)."""

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ..authority_search import P, STREAM_BATCH
from ..choices import ModuleChoice
from ..extensions import db
from ..models import Authority, Module, ModuleAccess, User
from ..templating import history_value
from .search import OverviewCriteria, overview_search

_coordinator = aliased(Authority, name="coordinator")

_BATCH_ACCESSES = (
    sa.select(
        ModuleAccess.authority_id,
        ModuleAccess.module_id,
        ModuleAccess.role,
        ModuleAccess.status,
        _coordinator.official_name.label("coordinator_name"),
        ModuleAccess.granted_at,
        ModuleAccess.changed_at,
    )
    .join(Module, Module.id == ModuleAccess.module_id)
    .outerjoin(_coordinator, _coordinator.id == ModuleAccess.linked_coordinator_id)
    .where(ModuleAccess.authority_id.in_(P("ids", expanding=True)))
    .order_by(ModuleAccess.authority_id, Module.code)
)


def overview_rows(user: User, criteria: OverviewCriteria, modules: list[ModuleChoice]):
    """The lines of the export, streamed: the authorities found, in name order, a batch at a
    time, and each batch's accesses to the visible modules in one query."""
    by_id = {m.id: m for m in modules}
    labels = {value: history_value(value) for value in ("active", "suspended", "deactivated", "awaiting_validation", "coordinator", "authority", "rejected")}
    hits = overview_search(user, criteria).hits()
    connection = db.session.connection()
    for batch in hits.partitions(STREAM_BATCH):
        accesses = defaultdict(list)
        for row in connection.execute(_BATCH_ACCESSES, {"ids": [a.id for a in batch]}):
            if row.module_id in by_id:
                accesses[row.authority_id].append(row)
        for authority in batch:
            first = [authority.official_name, authority.informal_name, authority.city, labels[authority.status.value]]
            if not accesses[authority.id]:
                yield first + [""] * 7
            for access in accesses[authority.id]:
                module = by_id[access.module_id]
                yield first + [
                    module.code,
                    module.name,
                    labels[access.role.value],
                    labels[access.status.value],
                    access.coordinator_name,
                    access.granted_at,
                    access.changed_at,
                ]


