"""The one search of authorities: "Managed authorities", Authorities → Search (the directory),
"Send e-mail" and the Access overview all find their authorities here.

A search is given its filters explicitly (``AuthorityFilters``: which country, status, city,
name words, modules, …); the areas turn their query strings into filters and never reach
into each other. The criteria of "Managed authorities" (``Criteria``) live here too, because
"Send e-mail" and the Access overview offer the same ones.

A page costs a constant number of statements whatever the size of the data: a count that
stops at COUNT_CAP and the page, read in name order. The statements are built once per shape
(which filters are given, which plan) with bind parameters, cached, and run on the session's
connection: building a statement costs more than running it on an index, and a search runs
on every keystroke.
"""

import functools
import math
from dataclasses import dataclass, field
from typing import NamedTuple

import sqlalchemy as sa

from .extensions import db
from .inputs import db_int
from .models import (
    AccessManagerLink,
    AccessStatus,
    Authority,
    AuthorityStatus,
    Country,
    ModuleAccess,
    ModuleRole,
    User,
    fold,
)
from .models.authorities import access_manager_module, authority_classification
from .models.search_index import MIN_TRIGRAM, fts_phrase, fts_table, name_trigram

PER_PAGE = 25
STATUSES = ("active", "deactivated", "awaiting_validation", "all")

# Counts stop here: "more than 100 authorities found" (4 pages), and "Count them all" asks for
# the exact number. Counting costs a probe per row passed, so a higher cap costs every search
# more as the data grows.
COUNT_CAP = 100
EXACT = 2**62  # the LIMIT of an exact count
MAX_WORDS = 5
STREAM_BATCH = 500


# --- paged lists: the criteria every list has, and a page of it --------------------------------


def query_int(value) -> int | None:
    """An id or page number of the query string; anything else (and beyond the database's
    integer) is no value."""
    return db_int(value)


@dataclass
class ListCriteria:
    """What every paged search list has: the order, the page, and whether to count every hit."""

    sort: str = "name"
    page: int = 1
    exact: bool = False  # count every hit ("count=all"), not only up to COUNT_CAP

    @staticmethod
    def plain(args) -> dict:
        """The query string as a plain dict (a MultiDict raises and catches on every miss)."""
        return args.to_dict() if hasattr(args, "to_dict") else args

    @staticmethod
    def list_args(args: dict) -> dict:
        return {
            "sort": "-name" if args.get("sort") == "-name" else "name",
            "page": max(query_int(args.get("page")) or 1, 1),
            "exact": args.get("count") == "all",
        }

    def query(self, values: dict, changes: dict) -> dict:
        """Query-string arguments: ``values`` of the criteria, the list's own, ``changes``;
        defaults left out."""
        values.update(
            sort=None if self.sort == "name" else self.sort,
            count="all" if self.exact else None,
            page=None if self.page == 1 else self.page,
        )
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


@dataclass
class Page:
    rows: list = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = PER_PAGE
    more: bool = False  # total is COUNT_CAP and there are more
    has_next: bool = False

    @property
    def pages(self) -> int:
        return max(math.ceil(self.total / self.per_page), 1)

    @property
    def has_prev(self) -> bool:
        return self.page > 1


P = sa.bindparam


def capped(hits):
    """COUNT of ``hits`` that stops at the ``cap`` parameter (COUNT_CAP + 1)."""
    return sa.select(sa.func.count()).select_from(hits.limit(P("cap")).subquery())


def run_page(count_stmt, page_stmt_of, params: dict, page: int, per_page: int, exact: bool = False) -> Page:
    """Run a cached count (capped at COUNT_CAP unless ``exact``) and page statement: two queries,
    whatever the size. ``page_stmt_of(many)`` gives the page statement once the count says
    whether there are more than COUNT_CAP hits."""
    connection = db.session.connection()
    total = connection.execute(count_stmt, {**params, "cap": EXACT if exact else COUNT_CAP + 1}).scalar_one()
    many = total > COUNT_CAP
    more = many and not exact
    if more:
        total = COUNT_CAP
    else:
        page = min(page, max(math.ceil(total / per_page), 1))
    rows = connection.execute(
        page_stmt_of(many), {**params, "limit": per_page + 1, "offset": (page - 1) * per_page}
    ).all()
    return Page(rows=rows[:per_page], total=total, page=page, per_page=per_page, more=more, has_next=len(rows) > per_page)


# --- the filters of a search ------------------------------------------------------------------


@dataclass(frozen=True)
class AccessFilters:
    """Conditions that one module access of the authority meets, all of them the same access
    (the Access overview). ``scope``: the authority whose delegated modules limit the accesses
    looked at (a partial delegation), never the authorities listed."""

    module: int | None = None
    role: ModuleRole | None = None
    linked: bool = False  # with a linked coordinator
    status: AccessStatus | None = None
    scope: int | None = None


@dataclass(frozen=True)
class AuthorityFilters:
    """What a search looks for; every filter left empty is no condition."""

    q: str = ""  # words the folded names contain
    country: int | None = None
    status: AuthorityStatus | None = None
    city: str = ""  # the city starts with
    # The city as a range of ``ix_authority_country_city`` on SQLite (for a search over every
    # country, where it is the index that finds the hits), else checked row by row.
    city_by_index: bool = False
    manager: int | None = None  # authorities this authority is an access manager of
    module: int | None = None  # an active access to the module
    without_module: int | None = None  # no access at all to the module
    classification: int | None = None  # a general classification entry
    access: AccessFilters | None = None
    # Partners (the directory): an active access in this module and/or role. The plan then
    # starts from the accesses where their index serves it (R-3.4: suspended is no partner).
    partner_module: int | None = None
    partner_role: ModuleRole | None = None


def _exists(table, *conditions):
    return sa.exists(sa.select(1).select_from(table).where(*conditions))


# Each filter a clause with bind parameters named after it, so a search's statements depend
# only on which filters are given (cached below), not on their values.
FILTERS = {
    "country": lambda: Authority.country_id == P("country"),
    "status": lambda: Authority.status == P("status"),
    # Starts with: row by row with ``LIKE 'text%'`` (PostgreSQL's trigram index serves it
    # whatever the database's collation) or, on SQLite, a range of the binary collation,
    # which its b-tree index serves (with a skip-scan over the country).
    "city": lambda: Authority.search_city.like(P("city"), escape="\\"),
    "city_from": lambda: sa.and_(Authority.search_city >= P("city_from"), Authority.search_city < P("city_to")),
    "manager": lambda: _exists(
        AccessManagerLink,
        AccessManagerLink.manager_authority_id == P("manager"),
        AccessManagerLink.managed_authority_id == Authority.id,
    ),
    "module": lambda: _exists(
        ModuleAccess,
        ModuleAccess.authority_id == Authority.id,
        ModuleAccess.module_id == P("module"),
        ModuleAccess.status == AccessStatus.ACTIVE,
    ),
    "without_module": lambda: ~_exists(
        ModuleAccess, ModuleAccess.authority_id == Authority.id, ModuleAccess.module_id == P("without_module")
    ),
    "classification": lambda: _exists(
        authority_classification,
        authority_classification.c.authority_id == Authority.id,
        authority_classification.c.entry_id == P("classification"),
    ),
}

# Conditions on one module access (AccessFilters): the keys given make a single EXISTS.
ACCESS_FILTERS = {
    "access_module": lambda: ModuleAccess.module_id == P("access_module"),
    "scope": lambda: ModuleAccess.module_id.in_(
        sa.select(access_manager_module.c.module_id).where(access_manager_module.c.authority_id == P("scope"))
    ),
    "access_role": lambda: ModuleAccess.role == P("access_role"),
    "linked": lambda: ModuleAccess.linked_coordinator_id.is_not(None),
    "access_status": lambda: ModuleAccess.status == P("access_status"),
}

# Conditions on an active access of a partner (the directory's module and role).
PARTNER_FILTERS = {
    "partner_module": lambda: ModuleAccess.module_id == P("partner_module"),
    "partner_role": lambda: ModuleAccess.role == P("partner_role"),
}


def conditions(keys, filters=FILTERS) -> list:
    """The WHERE clauses of the filters ``keys``: each one index probe per row."""
    return [filters[key]() for key in filters if key in keys]


def has_access(access_keys) -> list:
    """The authority has an access matching the ``access_keys`` filters (none: no condition)."""
    if not access_keys:
        return []
    return [_exists(ModuleAccess, ModuleAccess.authority_id == Authority.id, *conditions(access_keys, ACCESS_FILTERS))]


def partner_conditions(partner_keys) -> list:
    """Conditions on ``module_access`` of the partner filters: active accesses only."""
    if not partner_keys:
        return []
    return [ModuleAccess.status == AccessStatus.ACTIVE, *conditions(partner_keys, PARTNER_FILTERS)]


def partner(partner_keys):
    """The authority has an active access matching the partner filters (one probe per row)."""
    return _exists(ModuleAccess, ModuleAccess.authority_id == Authority.id, *partner_conditions(partner_keys))


def like_pattern(word: str) -> str:
    """``LIKE`` pattern: contains ``word`` (its wildcards escaped with ``\\``)."""
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def filter_params(filters: AuthorityFilters, dialect: str) -> dict:
    """The values of the given ``filters``, keyed like FILTERS, ACCESS_FILTERS and
    PARTNER_FILTERS (given filters only)."""
    params = {}
    for key in ("country", "status", "manager", "module", "without_module", "classification"):
        if getattr(filters, key):  # ids start at 1: 0 is no value
            params[key] = getattr(filters, key)
    if filters.city:
        city = fold(filters.city)
        if filters.city_by_index and dialect == "sqlite":
            params.update(city_from=city, city_to=city + "\U0010ffff")
        else:
            params["city"] = like_pattern(city)[1:]  # starts with
    return params


def access_params(access: AccessFilters | None) -> dict:
    if access is None:
        return {}
    params = {}
    if access.module:
        params["access_module"] = access.module
    if access.role is not None:
        params["access_role"] = access.role
    if access.linked:
        params["linked"] = True
    if access.status is not None:
        params["access_status"] = access.status
    if access.scope is not None:
        params["scope"] = access.scope
    return params


def partner_params(filters: AuthorityFilters) -> dict:
    params = {}
    if filters.partner_module:
        params["partner_module"] = filters.partner_module
    if filters.partner_role is not None:
        params["partner_role"] = filters.partner_role
    return params


# --- names: the indexed word and the others ---------------------------------------------------


def dialect_name() -> str:
    return db.session.get_bind().dialect.name


def name_terms(q: str) -> tuple[str | None, list[str]]:
    """The words of ``q``: the one the indexes serve (the longest of 3+ letters, or None) and
    the others, checked row by row."""
    words = fold(q).split()[:MAX_WORDS]
    indexed = max((w for w in words if len(w) >= MIN_TRIGRAM), key=len, default=None)
    return indexed, [w for w in words if w != indexed]


def name_index(indexed: str | None, dialect: str) -> str | None:
    """Which index finds the hits of the indexed word: SQLite's FTS5 table ("fts"), PostgreSQL's
    pg_trgm index through ``LIKE`` ("like"), or none (no word of 3+ letters)."""
    if not indexed:
        return None
    return "fts" if dialect == "sqlite" else "like"


def name_params(indexed: str | None, scanned: list[str], dialect: str) -> dict:
    params = {f"word{i}": like_pattern(word) for i, word in enumerate(scanned)}
    if indexed:
        params["term"] = like_pattern(indexed)
        params["trigram"], params["word"] = indexed[:MIN_TRIGRAM], indexed
        if dialect == "sqlite":
            params["phrase"] = fts_phrase(indexed)
    return params


def scanned_words(count: int) -> list:
    """Clauses for ``count`` words checked row by row (parameters ``word0``…)."""
    return [Authority.search_name.like(P(f"word{i}"), escape="\\") for i in range(count)]


def term_hits(index: str | None, *where):
    """Authorities matching ``where`` and the indexed word (``phrase``/``term``): with FTS5 read
    lazily from the trigram index, each match checked by its row; else as PostgreSQL plans it."""
    if index == "fts":
        return (
            sa.select(sa.literal(1))
            .select_from(fts_table.join(Authority, Authority.id == fts_table.c.rowid))
            .where(fts_table.c.authority_fts.op("MATCH")(P("phrase")), *where)
        )
    if index == "like":
        # ``id > 0`` (always true) names a column that the name indexes lack, so PostgreSQL
        # cannot count by walking one of them in name order — where a term's hits may all lie
        # late ("rig") — and reads the table or pg_trgm.
        where = (*where, Authority.search_name.like(P("term"), escape="\\"), Authority.id > 0)
    return sa.select(sa.literal(1)).select_from(Authority).where(*where)


def few_hits(index: str) -> list:
    """The indexed word as a condition on at most COUNT_CAP hits: taken from the trigram index
    (FTS5), or left to PostgreSQL's planner (pg_trgm)."""
    if index == "fts":
        return [Authority.id.in_(sa.select(fts_table.c.rowid).where(fts_table.c.authority_fts.op("MATCH")(P("phrase"))))]
    return [Authority.search_name.like(P("term"), escape="\\")]


def name_source(walk_postings: bool):
    """The FROM of a page: the authorities, or — for a term with many hits — the entries of its
    first trigram in ``authority_name_trigram`` joined to them, walked in name order, each
    checked against the whole word (on the entry) and the filters (on the authority's row)."""
    if walk_postings:
        return name_trigram.join(Authority, Authority.id == name_trigram.c.authority_id)
    return Authority.__table__


def posting_conditions(index: str) -> list:
    """The walked entries: the ``trigram``'s, whose name contains the whole ``word``. A position
    test, not ``LIKE``: PostgreSQL estimates ``LIKE '%rig%'`` as rare (it cannot know that every
    entry of "rig" contains "rig") and would then read and sort all the entries instead."""
    position = sa.func.instr(name_trigram.c.search_name, P("word")) if index == "fts" else sa.func.strpos(
        name_trigram.c.search_name, P("word"))
    return [name_trigram.c.trigram == P("trigram"), position > 0]


NAME_ORDER = (Authority.search_name, Authority.id)
POSTING_ORDER = (name_trigram.c.search_name, name_trigram.c.authority_id)
# Partners in a module and role: ``ix_module_access_module_role_status_name`` has their
# accesses in the authorities' name order (``ModuleAccess.authority_name``).
PARTNER_ORDER = (ModuleAccess.authority_name, ModuleAccess.authority_id)
BY_ROLE_IN_MODULE = frozenset({"partner_module", "partner_role"})


def in_name_order(query, descending: bool, key=NAME_ORDER):
    """``query`` in name order, a page (parameters ``limit``, ``offset``). ``key``: the (name,
    id) columns of the index walked — the authority's own, or a copy in the postings."""
    name, id_ = key
    return query.order_by(
        name.desc() if descending else name, id_.desc() if descending else id_
    ).limit(P("limit")).offset(P("offset"))


# What a page lists: the columns of a list of authorities, or the public contact data with the
# country's names (the directory).
LISTINGS = {
    "list": (Authority.id, Authority.official_name, Authority.informal_name, Authority.city, Authority.status),
    "contact": (
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
    ),
}


class Shape(NamedTuple):
    """Which filters a search has and which index serves its name word: its statements."""

    keys: frozenset
    access_keys: frozenset
    partner_keys: frozenset
    index: str | None
    scanned: int


def row_conditions(shape: Shape) -> list:
    """The filters of ``shape`` as conditions on an authority's row, the name word as ``LIKE``
    (parameter ``term``): for statements that check authorities found another way."""
    where = conditions(shape.keys) + has_access(shape.access_keys) + scanned_words(shape.scanned)
    if shape.partner_keys:
        where.append(partner(shape.partner_keys))
    if shape.index:
        where.append(Authority.search_name.like(P("term"), escape="\\"))
    return where


def by_links(shape: Shape) -> bool:
    """"Only my authorities" without a name term: the count walks the manager's links
    (``ix_access_manager_link_manager``), each authority checked by its row — never more
    entries than the name index would pass, and a few for a small access manager, where the
    name index would be walked to its end."""
    return "manager" in shape.keys and not shape.index and not shape.partner_keys


def managed_ids():
    return sa.select(AccessManagerLink.managed_authority_id).where(AccessManagerLink.manager_authority_id == P("manager"))


@functools.lru_cache(maxsize=1024)
def _count(shape: Shape):
    where = conditions(shape.keys) + has_access(shape.access_keys) + scanned_words(shape.scanned)
    if by_links(shape):
        hits = (
            sa.select(sa.literal(1))
            .select_from(AccessManagerLink)
            .join(Authority, Authority.id == AccessManagerLink.managed_authority_id)
            .where(AccessManagerLink.manager_authority_id == P("manager"), *conditions(shape.keys - {"manager"}))
            .where(*has_access(shape.access_keys), *scanned_words(shape.scanned))
        )
        return capped(hits)
    if shape.index == "fts" or not shape.partner_keys:  # driven by the trigram index, or by the name index
        return capped(term_hits(shape.index, *where, *([partner(shape.partner_keys)] if shape.partner_keys else [])))
    if shape.index:
        where += few_hits(shape.index)
    hits = (  # driven by ix_module_access_module_role_status_name
        sa.select(ModuleAccess.authority_id)
        .join(Authority, Authority.id == ModuleAccess.authority_id)
        .where(*partner_conditions(shape.partner_keys), *where)
    )
    # One access per authority and module: no duplicates to remove when the module is given
    # (DISTINCT made PostgreSQL walk the accesses in authority order, not in name order).
    return capped(hits if "partner_module" in shape.partner_keys else hits.distinct())


@functools.lru_cache(maxsize=1024)
def _page(shape: Shape, many: bool, descending: bool, listing: str):
    # Few hits: read them through the index that found them, and sort them; many: walk the
    # name index (or, for a term, its name postings) in order, checking each entry, which
    # stops after a page.
    if by_links(shape) and not many:  # at most COUNT_CAP of the manager's authorities, sorted
        keys = shape.keys - {"manager"}
        where = conditions(keys) + [Authority.id.in_(managed_ids())] + has_access(shape.access_keys) + scanned_words(shape.scanned)
    else:
        where = conditions(shape.keys) + has_access(shape.access_keys) + scanned_words(shape.scanned)
    walk = bool(shape.index) and many
    if walk:
        where += posting_conditions(shape.index)
    elif shape.index:
        where += few_hits(shape.index)
    source, key = name_source(walk), POSTING_ORDER if walk else NAME_ORDER
    if shape.partner_keys == BY_ROLE_IN_MODULE and not shape.index:
        # A module's partners in a role: walk their accesses in the authorities' name order.
        where += partner_conditions(shape.partner_keys)
        source, key = ModuleAccess.__table__.join(Authority, Authority.id == ModuleAccess.authority_id), PARTNER_ORDER
    elif shape.partner_keys:
        if many or shape.index:
            where.append(partner(shape.partner_keys))
        else:
            where.append(
                Authority.id.in_(sa.select(ModuleAccess.authority_id).where(*partner_conditions(shape.partner_keys)))
            )
    query = sa.select(*LISTINGS[listing]).select_from(source)
    if listing == "contact":
        query = query.join(Country, Country.id == Authority.country_id)
    return in_name_order(query.where(*where), descending, key)


@functools.lru_cache(maxsize=256)
def _matching(shape: Shape) -> tuple:
    where = conditions(shape.keys) + has_access(shape.access_keys) + scanned_words(shape.scanned)
    if shape.partner_keys:
        where.append(partner(shape.partner_keys))
    if shape.index:
        where += few_hits(shape.index)
    return tuple(where)


@dataclass
class AuthoritySearch:
    """The statements and parameters of one search: the capped count, and the page in name
    order once the count says whether there are many hits."""

    shape: Shape
    params: dict
    descending: bool = False
    listing: str = "list"

    @property
    def count(self):
        return _count(self.shape)

    def page_of(self, many: bool):
        """The page statement (parameters ``limit``, ``offset``); ``many``: more than COUNT_CAP hits."""
        return _page(self.shape, many, self.descending, self.listing)

    def where(self) -> list:
        """Every hit as WHERE clauses on ``authority`` (run with ``params``): for the whole set."""
        return list(_matching(self.shape))

    def run(self, page: int = 1, per_page: int = PER_PAGE, exact: bool = False) -> Page:
        return run_page(self.count, self.page_of, self.params, page, per_page, exact)

    def hits(self):
        """Every hit in name order, streamed (for the exports): the count chooses the plan."""
        connection = db.session.connection()
        many = connection.execute(self.count, {**self.params, "cap": COUNT_CAP + 1}).scalar_one() > COUNT_CAP
        return connection.execute(
            self.page_of(many), {**self.params, "limit": EXACT, "offset": 0}, execution_options={"yield_per": STREAM_BATCH}
        )


def authority_search(filters: AuthorityFilters, *, sort: str = "name", listing: str = "list") -> AuthoritySearch:
    """The statements of a search for ``filters``, in name order (``sort="-name"``: descending).

    The cost depends on the page and on COUNT_CAP, not on how many authorities there are:

    - The count stops at COUNT_CAP. With a name term on SQLite it is driven by the trigram
      index (``authority_fts``, read lazily, each match checked against the other filters by
      its row), on PostgreSQL as its planner chooses (pg_trgm or the table, stopping at the
      cap); with partner filters by their accesses; otherwise by walking an index that ends in
      ``search_name`` (``ix_authority_country_status_name``, ``ix_authority_status_name``).
    - The page is read in name order, checking each entry, so it stops after a page of hits:
      with no name term from the name index; for a term with more than COUNT_CAP hits from its
      first trigram's entries in ``authority_name_trigram`` (kept in name order). At most
      COUNT_CAP hits come from the trigram index (SQLite's FTS5, PostgreSQL's pg_trgm) and are
      sorted. A module's partners in a role are walked in ``module_access``'s name order.
    """
    dialect = dialect_name()
    params = filter_params(filters, dialect)
    access = access_params(filters.access)
    partners = partner_params(filters)
    indexed, scanned = name_terms(filters.q)
    shape = Shape(frozenset(params), frozenset(access), frozenset(partners), name_index(indexed, dialect), len(scanned))
    params.update(access)
    params.update(partners)
    params.update(name_params(indexed, scanned, dialect))
    return AuthoritySearch(shape, params, sort == "-name", listing)


# --- the criteria of "Managed authorities" (also offered by Send e-mail, the Access overview) ---


@dataclass
class Criteria(ListCriteria):
    q: str = ""
    city: str = ""
    module: int | None = None
    without_module: int | None = None
    classification: int | None = None
    status: str = "active"
    mine: bool = True  # "Only my authorities": Yes by default

    @classmethod
    def from_args(cls, args) -> "Criteria":
        args = cls.plain(args)
        status = args.get("status", "active")
        return cls(
            q=args.get("q", "").strip()[:200],
            city=args.get("city", "").strip()[:100],
            module=query_int(args.get("module")),
            without_module=query_int(args.get("without_module")),
            classification=query_int(args.get("classification")),
            status=status if status in STATUSES else "active",
            mine=args.get("mine", "yes") != "no",
            **cls.list_args(args),
        )

    def args(self, **changes) -> dict:
        """Query-string arguments of these criteria (with ``changes``), defaults left out."""
        values = {
            "q": self.q,
            "city": self.city,
            "module": self.module,
            "without_module": self.without_module,
            "classification": self.classification,
            "status": None if self.status == "active" else self.status,
            "mine": None if self.mine else "no",
        }
        return self.query(values, changes)


def managed_filters(user: User, criteria: Criteria, access: AccessFilters | None = None) -> AuthorityFilters:
    """The filters of ``criteria`` for ``user``: authorities of the user's country (R-1.3)."""
    return AuthorityFilters(
        q=criteria.q,
        country=user.authority.country_id,
        status=None if criteria.status == "all" else AuthorityStatus(criteria.status),
        city=criteria.city,
        manager=user.authority_id if criteria.mine else None,
        module=criteria.module,
        without_module=criteria.without_module,
        classification=criteria.classification,
        access=access,
    )


def managed_search(user: User, criteria: Criteria) -> AuthoritySearch:
    """The statements of the "Managed authorities" search ``criteria`` for ``user``."""
    return authority_search(managed_filters(user, criteria), sort=criteria.sort)


def search_managed(user: User, criteria: Criteria, per_page: int = PER_PAGE) -> Page:
    """"Managed authorities" (R-3.0): authorities of the user's country matching ``criteria``,
    sorted by name, in two queries whatever the size (see ``authority_search``)."""
    return managed_search(user, criteria).run(criteria.page, per_page, criteria.exact)
