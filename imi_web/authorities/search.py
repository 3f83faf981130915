"""Search in "Managed authorities" (R-3.0, R-4.2): criteria, paging, a constant number of queries.

The criteria come from the query string, so a search is a URL: bookmarkable, shareable, and
served the same with and without htmx.
"""

import functools
import math
from dataclasses import dataclass, field

import sqlalchemy as sa

from ..extensions import db
from ..inputs import db_int
from ..models import (
    AccessManagerLink,
    AccessStatus,
    Authority,
    AuthorityStatus,
    ModuleAccess,
    User,
    fold,
)
from ..models.authorities import access_manager_module, authority_classification
from ..models.search_index import MIN_TRIGRAM, _fts, fts_phrase, name_trigram

PER_PAGE = 25
STATUSES = ("active", "deactivated", "awaiting_validation", "all")


def _int(value) -> int | None:
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
            "page": max(_int(args.get("page")) or 1, 1),
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
            module=_int(args.get("module")),
            without_module=_int(args.get("without_module")),
            classification=_int(args.get("classification")),
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


# Counts stop here: "more than 100 authorities found" (4 pages), and "Count them all" asks for
# the exact number. Counting costs a probe per row passed, so a higher cap would slow every
# search down as the data grows (bench/README.md: "How the searches stay flat").
COUNT_CAP = 100
EXACT = 2**62  # the LIMIT of an exact count
MAX_WORDS = 5


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


def _exists(table, *conditions):
    return sa.exists(sa.select(1).select_from(table).where(*conditions))


P = sa.bindparam

# The criteria of "Managed authorities": each a clause with bind parameters named after it, so a
# search's statements depend only on which criteria are given (cached below), not on their values.
MANAGED_FILTERS = {
    "country": lambda: Authority.country_id == P("country"),
    "status": lambda: Authority.status == P("status"),
    "city": lambda: Authority.search_city.like(P("city"), escape="\\"),
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
    # authorities that do not have (any) access to a newly introduced module.
    "without_module": lambda: ~_exists(
        ModuleAccess, ModuleAccess.authority_id == Authority.id, ModuleAccess.module_id == P("without_module")
    ),
    "classification": lambda: _exists(
        authority_classification,
        authority_classification.c.authority_id == Authority.id,
        authority_classification.c.entry_id == P("classification"),
    ),
}


# Conditions on one module access of the authority (Administration → Access overview): the
# keys given make a single EXISTS, so that they all hold for the same access. The modules of a
# partial delegation (``scope``) limit the accesses looked at, never the authorities listed.
ACCESS_FILTERS = {
    "access_module": lambda: ModuleAccess.module_id == P("access_module"),
    "scope": lambda: ModuleAccess.module_id.in_(
        sa.select(access_manager_module.c.module_id).where(access_manager_module.c.authority_id == P("scope"))
    ),
    "role": lambda: ModuleAccess.role == P("role"),
    "linked": lambda: ModuleAccess.linked_coordinator_id.is_not(None),
    "access_status": lambda: ModuleAccess.status == P("access_status"),
}


def has_access(access_keys) -> list:
    """The authority has an access matching the ``access_keys`` criteria (none: no condition)."""
    if not access_keys:
        return []
    return [_exists(ModuleAccess, ModuleAccess.authority_id == Authority.id, *conditions(access_keys, ACCESS_FILTERS))]


def managed_params(user: User, criteria: Criteria) -> dict:
    """The values of ``criteria`` for ``user``, keyed like MANAGED_FILTERS (given criteria only)."""
    params = {"country": user.authority.country_id}
    if criteria.status != "all":
        params["status"] = AuthorityStatus(criteria.status)
    if criteria.city:
        params["city"] = like_pattern(fold(criteria.city))[1:]  # starts with
    if criteria.mine:
        params["manager"] = user.authority_id
    for key in ("module", "without_module", "classification"):
        if getattr(criteria, key):
            params[key] = getattr(criteria, key)
    return params


def conditions(keys, filters=MANAGED_FILTERS) -> list:
    """The WHERE clauses of the criteria ``keys``: each criterion one index probe per row."""
    return [filters[key]() for key in filters if key in keys]


LIST_COLUMNS = (Authority.id, Authority.official_name, Authority.informal_name, Authority.city, Authority.status)


# --- the mechanics both searches share (managed authorities, the directory) -------------------
#
# Building a statement costs more than running it on an index, and a search runs on every
# keystroke: the statements are built once per shape (which criteria, which plan) with bind
# parameters, cached, and run on the session's connection.


def dialect_name() -> str:
    return db.session.get_bind().dialect.name


def like_pattern(word: str) -> str:
    """``LIKE`` pattern: contains ``word`` (its wildcards escaped with ``\\``)."""
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


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
            .select_from(_fts.join(Authority, Authority.id == _fts.c.rowid))
            .where(_fts.c.authority_fts.op("MATCH")(P("phrase")), *where)
        )
    if index == "like":
        # ``id > 0`` (always true) names a column that the name indexes lack, so PostgreSQL
        # cannot count by walking one of them in name order — where a term's hits may all lie
        # late ("rig" finds "Rīgas …", late in the alphabet) — and reads the table or pg_trgm.
        where = (*where, Authority.search_name.like(P("term"), escape="\\"), Authority.id > 0)
    return sa.select(sa.literal(1)).select_from(Authority).where(*where)


def few_hits(index: str) -> list:
    """The indexed word as a condition on a page of at most COUNT_CAP hits: taken from the
    trigram index (FTS5), or left to PostgreSQL's planner (pg_trgm), and sorted."""
    if index == "fts":
        return [Authority.id.in_(sa.select(_fts.c.rowid).where(_fts.c.authority_fts.op("MATCH")(P("phrase"))))]
    return [Authority.search_name.like(P("term"), escape="\\")]


def name_source(walk_postings: bool):
    """The FROM of a page: the authorities, or — for a term with many hits — the entries of its
    first trigram in ``authority_name_trigram`` joined to them, walked in name order, each
    checked against the whole word (on the entry) and the criteria (on the authority's row)."""
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


def capped(hits):
    """COUNT of ``hits`` that stops at the ``cap`` parameter (COUNT_CAP + 1)."""
    return sa.select(sa.func.count()).select_from(hits.limit(P("cap")).subquery())


NAME_ORDER = (Authority.search_name, Authority.id)
POSTING_ORDER = (name_trigram.c.search_name, name_trigram.c.authority_id)


def in_name_order(query, descending: bool, key=NAME_ORDER):
    """``query`` in name order, a page (parameters ``limit``, ``offset``). ``key``: the (name,
    id) columns of the index walked — the authority's own, or a copy in the postings."""
    name, id_ = key
    return query.order_by(
        name.desc() if descending else name, id_.desc() if descending else id_
    ).limit(P("limit")).offset(P("offset"))


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


@functools.lru_cache(maxsize=1024)
def _managed_count(keys: frozenset, index: str | None, scanned: int, access_keys: frozenset = frozenset()):
    return capped(term_hits(index, *conditions(keys), *has_access(access_keys), *scanned_words(scanned)))


@functools.lru_cache(maxsize=1024)
def _managed_page(
    keys: frozenset, index: str | None, scanned: int, many: bool, descending: bool, access_keys: frozenset = frozenset()
):
    where = conditions(keys) + has_access(access_keys) + scanned_words(scanned)
    walk = bool(index) and many
    if walk:
        where += posting_conditions(index)
    elif index:
        where += few_hits(index)
    query = sa.select(*LIST_COLUMNS).select_from(name_source(walk)).where(*where)
    return in_name_order(query, descending, POSTING_ORDER if walk else NAME_ORDER)


@dataclass
class ManagedSearch:
    """The statements and parameters of one "Managed authorities" search: the capped count,
    and the page in name order once the count says whether there are many hits."""

    count: sa.Select
    page_of: object  # many (bool) -> the page statement (parameters ``limit``, ``offset``)
    params: dict
    # The shape of the search, for statements built on it (the access overview's totals).
    keys: frozenset = frozenset()
    access_keys: frozenset = frozenset()
    index: str | None = None
    scanned: int = 0

    def hits(self):
        """Every hit in name order, streamed (for the exports): the count chooses the plan."""
        connection = db.session.connection()
        many = connection.execute(self.count, {**self.params, "cap": COUNT_CAP + 1}).scalar_one() > COUNT_CAP
        return connection.execute(
            self.page_of(many), {**self.params, "limit": EXACT, "offset": 0}, execution_options={"yield_per": STREAM_BATCH}
        )


STREAM_BATCH = 500


def managed_search(user: User, criteria: Criteria, *, access: dict | None = None) -> ManagedSearch:
    """The statements of the search ``criteria`` for ``user``; ``access``: conditions on one
    module access of the authority, keyed like ACCESS_FILTERS."""
    params = managed_params(user, criteria)
    dialect = dialect_name()
    indexed, scanned = name_terms(criteria.q)
    index = name_index(indexed, dialect)
    keys = frozenset(params)
    access_keys = frozenset(access or ())
    params.update(access or {})
    params.update(name_params(indexed, scanned, dialect))
    descending = criteria.sort == "-name"
    return ManagedSearch(
        _managed_count(keys, index, len(scanned), access_keys),
        lambda many: _managed_page(keys, index, len(scanned), many, descending, access_keys),
        params,
        keys,
        access_keys,
        index,
        len(scanned),
    )


def search_managed(user: User, criteria: Criteria, per_page: int = PER_PAGE, *, access: dict | None = None) -> Page:
    """"Managed authorities" (R-3.0): authorities of the user's country matching ``criteria``,
    sorted by name, in two queries whatever the size.

    The cost depends on the page and on COUNT_CAP, not on how many authorities there are:

    - The count stops at COUNT_CAP (unless ``criteria.exact``: "Count them all"). With a name
      term on SQLite it is driven by the trigram index (``authority_fts``, read lazily, each
      match checked against the other criteria by its row), on PostgreSQL as its planner
      chooses (pg_trgm or the table, stopping at the cap); otherwise by walking an index that
      ends in ``search_name`` (``ix_authority_country_status_name``, ``ix_authority_status_name``).
    - The page is read in name order, checking each entry, so it stops after a page of hits:
      with no name term from the name index; for a term with more than COUNT_CAP hits from its
      first trigram's entries in ``authority_name_trigram`` (kept in name order, so "rig" does
      not walk past every name before "Rīgas …"). At most COUNT_CAP hits come from the trigram
      index (SQLite's FTS5, PostgreSQL's pg_trgm) and are sorted.
    """
    search = managed_search(user, criteria, access=access)
    return run_page(search.count, search.page_of, search.params, criteria.page, per_page, criteria.exact)
