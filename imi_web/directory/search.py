"""The directory (R-5.2, R-3.4): active authorities of all countries, a constant number of queries.

Like the "Managed authorities" search (``authorities/search.py``), the criteria come from the
query string, so a search is a URL, served the same with and without htmx. A page costs
three queries whatever the size of the directory: the count, the page of rows (LIMIT/OFFSET,
index-bound name filter), and the active modules of that page's authorities (and, with a
module criterion, a capped count of the matching accesses, which chooses the page's plan).

Only active authorities are ever found (deactivated, awaiting validation and rejected ones
never), and a module whose access is suspended neither matches the module criterion nor is
listed for the authority (R-3.4).
"""

import functools
from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa

from ..authorities.search import (
    PER_PAGE,
    ListCriteria,
    P,
    Page,
    _exists,
    _int,
    capped,
    conditions,
    dialect_name,
    few_hits,
    NAME_ORDER,
    POSTING_ORDER,
    in_name_order,
    like_pattern,
    name_index,
    name_params,
    name_source,
    name_terms,
    posting_conditions,
    run_page,
    scanned_words,
    term_hits,
)
from ..extensions import db
from ..models import (
    AccessStatus,
    Authority,
    AuthorityStatus,
    Country,
    Module,
    ModuleAccess,
    ModuleRole,
    fold,
)

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
            country=_int(args.get("country")),
            city=args.get("city", "").strip()[:100],
            module=_int(args.get("module")),
            role=role if role in ROLES else "",
            **cls.list_args(args),
        )

    def args(self, **changes) -> dict:
        """Query-string arguments of these criteria (with ``changes``), defaults left out."""
        values = {"q": self.q, "country": self.country, "city": self.city, "module": self.module, "role": self.role}
        return self.query(values, changes)


# The criteria of the directory, keyed like their bind parameters (see authorities/search.py).
DIRECTORY_FILTERS = {
    "status": lambda: Authority.status == AuthorityStatus.ACTIVE,  # always: only active authorities
    "country": lambda: Authority.country_id == P("country"),
    # Starts with: on SQLite a range of the binary collation, which its b-tree index serves
    # (with a skip-scan over the country); elsewhere ``LIKE 'text%'``, which PostgreSQL's
    # trigram index serves whatever the database's collation.
    "city": lambda: Authority.search_city.like(P("city"), escape="\\"),
    "city_from": lambda: sa.and_(Authority.search_city >= P("city_from"), Authority.search_city < P("city_to")),
}
# Conditions on ``module_access`` of the module and role criteria. A suspended access is no
# partner in that module: active accesses only.
ACCESS_FILTERS = {
    "module": lambda: ModuleAccess.module_id == P("module"),
    "role": lambda: ModuleAccess.role == P("role"),
}


def directory_params(criteria: DirectoryCriteria, dialect: str) -> tuple[dict, dict]:
    """The values of ``criteria``: (authority criteria, module access criteria), keyed like
    DIRECTORY_FILTERS and ACCESS_FILTERS (given criteria only)."""
    params = {}
    if criteria.country:
        params["country"] = criteria.country
    if criteria.city:
        city = fold(criteria.city)
        if dialect == "sqlite":
            params.update(city_from=city, city_to=city + "\U0010ffff")
        else:
            params["city"] = like_pattern(city)[1:]
    access = {}
    if criteria.module:
        access["module"] = criteria.module
    if criteria.role:
        access["role"] = ModuleRole(criteria.role)
    return params, access


def access_conditions(keys) -> list:
    if not keys:
        return []
    return [ModuleAccess.status == AccessStatus.ACTIVE, *conditions(keys, ACCESS_FILTERS)]


# Module and role given: ``ix_module_access_module_role_status_name`` has their accesses in the
# authorities' name order (``ModuleAccess.authority_name``), so a page is a walk of it.
BY_ROLE_IN_MODULE = frozenset({"module", "role"})
PARTNER_ORDER = (ModuleAccess.authority_name, ModuleAccess.authority_id)

# A module alone: up to this many matching module accesses (a count on their index, capped),
# the page is read from them and sorted — a bounded amount of work; beyond it the name index is
# walked, where at least one entry in every ~N/2000 is a hit. A role alone has no index of its
# own to count on (and matches thousands at scale): the name index is walked.
MODULE_ALONE = frozenset({"module"})
ACCESS_SORT_LIMIT = 2000


@functools.lru_cache(maxsize=64)
def _access_rows(access_keys: frozenset):
    return capped(sa.select(sa.literal(1)).select_from(ModuleAccess).where(*access_conditions(access_keys)))


def partner(access_keys):
    """The authority has an active access matching the module criteria (one probe per row)."""
    return _exists(ModuleAccess, ModuleAccess.authority_id == Authority.id, *access_conditions(access_keys))


@functools.lru_cache(maxsize=1024)
def _directory_count(keys: frozenset, access_keys: frozenset, index: str | None, scanned: int):
    where = conditions(keys, DIRECTORY_FILTERS) + scanned_words(scanned)
    if index == "fts" or not access_keys:  # driven by the trigram index, or by the name index
        return capped(term_hits(index, *where, *([partner(access_keys)] if access_keys else [])))
    if index:
        where += few_hits(index)
    hits = (  # driven by ix_module_access_module_role_status_name
        sa.select(ModuleAccess.authority_id)
        .join(Authority, Authority.id == ModuleAccess.authority_id)
        .where(*access_conditions(access_keys), *where)
    )
    # One access per authority and module: no duplicates to remove when the module is given
    # (DISTINCT made PostgreSQL walk the accesses in authority order, not in name order).
    return capped(hits if "module" in access_keys else hits.distinct())


@functools.lru_cache(maxsize=1024)
def _directory_page(keys: frozenset, access_keys: frozenset, index: str | None, scanned: int, many: bool, descending: bool):
    # Few hits: read them through the index that found them, and sort them; many: walk the
    # name index (or, for a term, its name postings) in order, checking each entry, which
    # stops after a page.
    where = conditions(keys, DIRECTORY_FILTERS) + scanned_words(scanned)
    walk = bool(index) and many
    if walk:
        where += posting_conditions(index)
    elif index:
        where += few_hits(index)
    source, key = name_source(walk), POSTING_ORDER if walk else NAME_ORDER
    if access_keys == BY_ROLE_IN_MODULE and not index:
        # A module's partners in a role: walk their accesses in the authorities' name order.
        where += access_conditions(access_keys)
        source, key = ModuleAccess.__table__.join(Authority, Authority.id == ModuleAccess.authority_id), PARTNER_ORDER
    elif access_keys:
        if many or index:
            where.append(partner(access_keys))
        else:
            where.append(Authority.id.in_(sa.select(ModuleAccess.authority_id).where(*access_conditions(access_keys))))
    query = (
        sa.select(
            Authority.id,
            Authority.official_name,
            Authority.informal_name,
            Authority.phone,
            Authority.email,
            Authority.website,
            Authority.city,
            Country.code.label("country_code"),
            Country.name_lv.label("country_name_lv"),
            Country.name_en.label("country_name_en"),
        )
        .select_from(source)
        .join(Country, Country.id == Authority.country_id)
        .where(*where)
    )
    return in_name_order(query, descending, key)


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

    The same plan as "Managed authorities" (``search_managed``): the count stops at COUNT_CAP
    (``Page.more``) and, with a name term on SQLite, is driven by the trigram index; the page
    is read with LIMIT in name order (``ix_authority_status_name``, or a term's entries in
    ``authority_name_trigram``), from the trigram index when a term has at most COUNT_CAP
    hits. The active modules of the page's authorities then come in one query. Each row has
    the public contact data, the country's name in ``language`` (``country_name``) and
    ``modules`` (a list of ``ModuleEntry``).
    """
    dialect = dialect_name()
    params, access = directory_params(criteria, dialect)
    indexed, scanned = name_terms(criteria.q)
    index = name_index(indexed, dialect)
    keys, access_keys = frozenset(["status", *params]), frozenset(access)
    params.update(access)
    params.update(name_params(indexed, scanned, dialect))
    descending = criteria.sort == "-name"
    # Module criteria that few accesses match: the page comes from those accesses, sorted.
    sortable = access_keys == MODULE_ALONE and not indexed and (
        db.session.connection().execute(_access_rows(access_keys), {**access, "cap": ACCESS_SORT_LIMIT + 1}).scalar_one()
        <= ACCESS_SORT_LIMIT
    )
    page = run_page(
        _directory_count(keys, access_keys, index, len(scanned)),
        lambda many: _directory_page(keys, access_keys, index, len(scanned), many and not sortable, descending),
        params,
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
