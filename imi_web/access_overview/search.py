"""Administration → Access overview: the managed authorities × the modules, a page at a time.

The rows are the one authority search (``imi_web/authority_search.py``) with the criteria of
"Managed authorities", and filters on one module access of the authority added to it
(module, role, suspended only). A page costs a constant number of statements whatever the size: the
search's capped count and page, the page's accesses, and the totals row.

The columns are the modules the user's delegation covers (R-1.2): a partial delegate sees
only its modules, in the cells, the totals and the export alike; its criteria on accesses
look only at those modules.
"""

import functools
from collections import defaultdict
from dataclasses import dataclass, replace

import sqlalchemy as sa

from .. import choices, policy
from ..authority_search import (
    COUNT_CAP,
    EXACT,
    AccessFilters,
    AuthoritySearch,
    Criteria,
    P,
    Page,
    authority_search,
    managed_filters,
    row_conditions,
)
from ..choices import ModuleChoice
from ..extensions import db
from ..models import AccessStatus, Authority, ModuleAccess, ModuleRole, User

PER_PAGE = 25
ROLES = ("coordinator", "authority", "linked")  # "linked": an authority with a linked coordinator
# Up to this many authorities found, the totals are one GROUP BY over their accesses (exact);
# more, each module and role is a count capped at COUNT_CAP that walks the module's accesses
# in that role (``ix_module_access_module_role_status_name``), checking each authority.
# Counting up to this limit is itself a walk that grows with the limit (with a module criterion
# it probes each authority for its access), so it stays low; a capped count walks at most the
# accesses of a module in a role, and stops at COUNT_CAP hits.
TOTALS_GROUP_LIMIT = 500


@dataclass
class OverviewCriteria(Criteria):
    """The criteria of "Managed authorities", and the role and status of a module access;
    ``module`` here is any access to the module, active or suspended."""

    role: str = ""
    suspended: bool = False

    @classmethod
    def from_args(cls, args) -> "OverviewCriteria":
        criteria = super().from_args(args)
        args = cls.plain(args)
        role = args.get("role", "")
        criteria.role = role if role in ROLES else ""
        criteria.suspended = args.get("suspended") == "yes"
        return criteria

    def args(self, **changes) -> dict:
        extra = {"role": self.role, "suspended": "yes" if self.suspended else None}
        return super().args(**{**extra, **changes})


@dataclass(frozen=True, slots=True)
class Cell:
    """An authority's access to a module as the matrix shows it."""

    role: ModuleRole
    suspended: bool
    linked: bool


@dataclass(frozen=True, slots=True)
class Total:
    count: int
    more: bool  # the count stopped at COUNT_CAP


def visible_modules(user: User, language: str) -> list[ModuleChoice]:
    """The modules the user's delegation covers, in code order (one query)."""
    every = policy.may_view_every_module(user)
    return choices.modules(language, delegated_by=None if every else user.authority_id)


def access_filters(user: User, criteria: OverviewCriteria) -> AccessFilters | None:
    """The criteria on one module access (none given: no condition)."""
    role = ModuleRole.COORDINATOR if criteria.role == "coordinator" else ModuleRole.AUTHORITY
    access = AccessFilters(
        module=criteria.module,
        role=role if criteria.role else None,
        linked=criteria.role == "linked",
        status=AccessStatus.SUSPENDED if criteria.suspended else None,
    )
    if access == AccessFilters():
        return None
    return access if policy.may_view_every_module(user) else replace(access, scope=user.authority_id)


def overview_search(user: User, criteria: OverviewCriteria) -> AuthoritySearch:
    """The search of ``criteria``; the module criterion is one on the accesses here (with the
    role and status), not "active access to the module"."""
    filters = managed_filters(user, replace(criteria, module=None), access=access_filters(user, criteria))
    return authority_search(filters, sort=criteria.sort)


_PAGE_ACCESSES = sa.select(
    ModuleAccess.authority_id,
    ModuleAccess.module_id,
    ModuleAccess.role,
    ModuleAccess.status,
    ModuleAccess.linked_coordinator_id.is_not(None).label("linked"),
).where(ModuleAccess.authority_id.in_(P("ids", expanding=True)))


def page_cells(authority_ids, module_ids) -> dict[int, dict[int, Cell]]:
    """The cells of a page's rows: {authority id: {module id: Cell}}, the visible modules only."""
    cells = defaultdict(dict)
    if not authority_ids:
        return cells
    wanted = set(module_ids)
    for authority_id, module_id, role, status, linked in db.session.connection().execute(
        _PAGE_ACCESSES, {"ids": list(authority_ids)}
    ):
        if module_id in wanted:
            cells[authority_id][module_id] = Cell(role, status == AccessStatus.SUSPENDED, bool(linked))
    return cells


def totals(search: AuthoritySearch, results: Page, modules: list[ModuleChoice], exact: bool) -> dict:
    """How many of the authorities found have each role in each visible module:
    {(module id, role value): Total}. One statement.

    Up to TOTALS_GROUP_LIMIT authorities found (or "Count them all"): a GROUP BY over the
    accesses of those authorities, exact. More: per module and role a count that stops at
    COUNT_CAP, walking that module's accesses in that role and checking each authority
    against the criteria — cheap while the authorities found are not rare among them.
    """
    if not modules:
        return {}
    connection = db.session.connection()
    found = results.total
    if results.more and not exact:
        found = connection.execute(search.count, {**search.params, "cap": TOTALS_GROUP_LIMIT + 1}).scalar_one()
    if found <= TOTALS_GROUP_LIMIT or exact:
        hits = search.page_of(found > COUNT_CAP).subquery()
        statement = (
            sa.select(ModuleAccess.module_id, ModuleAccess.role, sa.func.count())
            .where(ModuleAccess.authority_id.in_(sa.select(hits.c.id)))
            .group_by(ModuleAccess.module_id, ModuleAccess.role)
        )
        counts = {
            (module_id, role.value): Total(count, False)
            for module_id, role, count in connection.execute(statement, {**search.params, "limit": EXACT, "offset": 0})
        }
        return {(m.id, role.value): counts.get((m.id, role.value), Total(0, False)) for m in modules for role in ModuleRole}
    statement = _capped_totals(search.shape, len(modules))
    params = {**search.params, "cap": COUNT_CAP + 1}
    params.update({f"module{i}": m.id for i, m in enumerate(modules)})
    params.update(coordinator=ModuleRole.COORDINATOR, authority=ModuleRole.AUTHORITY)
    values = connection.execute(statement, params).one()
    result = {}
    for i, m in enumerate(modules):
        for j, role in enumerate(ModuleRole):
            count = values[2 * i + j]
            result[(m.id, role.value)] = Total(min(count, COUNT_CAP), count > COUNT_CAP)
    return result


@functools.lru_cache(maxsize=256)
def _capped_totals(shape, module_count: int):
    """One row: for each module (``module0``…) and role, the capped count of the authorities
    found with that role in that module (parameters of the search; its name term as ``LIKE``)."""
    where = row_conditions(shape)
    counted = ModuleAccess.__table__.alias("counted")  # apart from the accesses of the criteria
    columns = []
    for i in range(module_count):
        for role in ("coordinator", "authority"):
            # Driven by the module's accesses in the role (the index on module, role, …), each
            # authority checked by its row: a join let SQLite walk the country's authorities
            # instead, nearly all of them for a module with few coordinators.
            found = sa.exists(sa.select(1).select_from(Authority).where(Authority.id == counted.c.authority_id, *where))
            hits = (
                sa.select(sa.literal(1))
                .select_from(counted)
                .where(counted.c.module_id == P(f"module{i}"), counted.c.role == P(role), found)
                .limit(P("cap"))
                .subquery()
            )
            columns.append(sa.select(sa.func.count()).select_from(hits).scalar_subquery())
    return sa.select(*columns)


def overview_page(user: User, criteria: OverviewCriteria, modules: list[ModuleChoice], per_page: int = PER_PAGE):
    """The page of the matrix: (the search's page, its cells, the totals row)."""
    search = overview_search(user, criteria)
    results = search.run(criteria.page, per_page, criteria.exact)
    cells = page_cells([row.id for row in results.rows], [m.id for m in modules])
    return results, cells, totals(search, results, modules, criteria.exact)

