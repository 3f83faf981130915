"""The directory (R-5.2, R-3.4): active authorities of all countries, a constant number of queries.

The one authority search (``imi_web/authority_search.py``) with the directory's filters. As in
"Managed authorities", the criteria come from the query string, so a search is a URL, served
the same with and without htmx. A page costs three queries whatever the size of the
directory: the count, the page of rows (LIMIT/OFFSET, index-bound name filter), and the
active modules of that page's authorities (and, with a module criterion, a capped count of
the matching accesses, which chooses the page's plan).

Only active authorities are ever found (deactivated, awaiting validation and rejected ones
never), and a module whose access is suspended neither matches the module criterion nor is
listed for the authority (R-3.4).
"""

import functools
from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa

from ..authority_search import (
    PER_PAGE,
    AuthorityFilters,
    ListCriteria,
    P,
    Page,
    authority_search,
    capped,
    partner_conditions,
    query_int,
    run_page,
)
from ..extensions import db
from ..models import AccessStatus, AuthorityStatus, Module, ModuleAccess, ModuleRole

ROLES = tuple(role.value for role in ModuleRole)


@dataclass
class DirectoryCriteria(ListCriteria):
    q: str = ""
    country: int | None = None
    city: str = ""
    module: int | None = None
    role: str = ""  # "coordinator" or "authority": the role in the module (any module if none)

    @classmethod
    def from_args(cls, args) -> "DirectoryCriteria":
        args = cls.plain(args)
        role = args.get("role", "")
        return cls(
            q=args.get("q", "").strip()[:200],
            country=query_int(args.get("country")),
            city=args.get("city", "").strip()[:100],
            module=query_int(args.get("module")),
            role=role if role in ROLES else "",
            **cls.list_args(args),
        )

    def args(self, **changes) -> dict:
        """Query-string arguments of these criteria (with ``changes``), defaults left out."""
        values = {"q": self.q, "country": self.country, "city": self.city, "module": self.module, "role": self.role}
        return self.query(values, changes)


def directory_filters(criteria: DirectoryCriteria) -> AuthorityFilters:
    """The filters of ``criteria``: active authorities only, of every country unless one is
    chosen; the module and role are those of an active access (R-3.4)."""
    return AuthorityFilters(
        q=criteria.q,
        country=criteria.country or None,
        status=AuthorityStatus.ACTIVE,
        city=criteria.city,
        city_by_index=True,
        partner_module=criteria.module or None,
        partner_role=ModuleRole(criteria.role) if criteria.role else None,
    )


# A module alone: up to this many matching module accesses (a count on their index, capped),
# the page is read from them and sorted — a bounded amount of work; beyond it the name index is
# walked, where at least one entry in every ~N/2000 is a hit. A role alone has no index of its
# own to count on (and matches thousands at scale): the name index is walked.
MODULE_ALONE = frozenset({"partner_module"})
ACCESS_SORT_LIMIT = 2000


@functools.lru_cache(maxsize=64)
def _access_rows(partner_keys: frozenset):
    return capped(sa.select(sa.literal(1)).select_from(ModuleAccess).where(*partner_conditions(partner_keys)))


@dataclass(frozen=True, slots=True)
class ModuleEntry:
    """One active module of an authority as the directory lists it, named in the reader's
    language (chosen here: a method called from the template for each module of each row
    would go through Jinja's call machinery every time)."""

    module_id: int
    code: str
    name: str
    role: ModuleRole


_ACTIVE_MODULES = (
    sa.select(ModuleAccess.authority_id, Module.id, Module.code, Module.name_lv, Module.name_en, ModuleAccess.role)
    .join(Module, Module.id == ModuleAccess.module_id)
    .where(ModuleAccess.authority_id.in_(P("ids", expanding=True)), ModuleAccess.status == AccessStatus.ACTIVE)
    .order_by(Module.code)
)


def active_modules(authority_ids, language: str) -> dict[int, list[ModuleEntry]]:
    """The active module accesses of ``authority_ids``, in one query, by authority."""
    modules = defaultdict(list)
    if not authority_ids:
        return modules
    rows = db.session.connection().execute(_ACTIVE_MODULES, {"ids": list(authority_ids)}).all()
    for authority_id, module_id, code, name_lv, name_en, role in rows:
        modules[authority_id].append(ModuleEntry(module_id, code, name_lv if language == "lv" else name_en, role))
    return modules


def search_directory(criteria: DirectoryCriteria, per_page: int = PER_PAGE, *, language: str) -> Page:
    """Active authorities of every country matching ``criteria``: three queries (four with a
    module criterion), whatever the size.

    The one authority search (``authority_search``): the count stops at COUNT_CAP
    (``Page.more``) and, with a name term on SQLite, is driven by the trigram index; the page
    is read with LIMIT in name order (``ix_authority_status_name``, or a term's entries in
    ``authority_name_trigram``), from the trigram index when a term has at most COUNT_CAP
    hits. The active modules of the page's authorities then come in one query. Each row has
    the public contact data, the country's name in ``language`` (``country_name``) and
    ``modules`` (a list of ``ModuleEntry``).
    """
    search = authority_search(directory_filters(criteria), sort=criteria.sort, listing="contact")
    partner_keys = search.shape.partner_keys
    # Module criteria that few accesses match: the page comes from those accesses, sorted.
    sortable = partner_keys == MODULE_ALONE and not search.shape.index and (
        db.session.connection().execute(_access_rows(partner_keys), {**search.params, "cap": ACCESS_SORT_LIMIT + 1}).scalar_one()
        <= ACCESS_SORT_LIMIT
    )
    page = run_page(
        search.count,
        lambda many: search.page_of(many and not sortable),
        search.params,
        criteria.page,
        per_page,
        criteria.exact,
    )
    modules = active_modules([row.id for row in page.rows], language)
    if page.rows:
        fields = page.rows[0]._fields
        page.rows = [DirectoryEntry(fields, row, modules.get(row.id, []), language) for row in page.rows]
    return page


class DirectoryEntry:
    """A row of the directory with its modules; the row's columns are its attributes."""

    def __init__(self, fields, row, modules, language):
        self.__dict__.update(zip(fields, row))
        self.country_name = self.country_name_lv if language == "lv" else self.country_name_en
        self.modules = modules
