"""Search in "Managed authorities" (R-3.0, R-4.2): criteria, paging, a constant number of queries.

The criteria come from the query string, so a search is a URL: bookmarkable, shareable, and
served the same with and without htmx.
"""

import math
from dataclasses import dataclass, field

import sqlalchemy as sa

from ..extensions import db
from ..models import (
    AccessManagerLink,
    AccessStatus,
    Authority,
    AuthorityStatus,
    ModuleAccess,
    User,
    fold,
)
from ..models.directory import authority_classification
from ..models.search_index import MIN_TRIGRAM, _fts, fts_phrase, name_contains, name_like

PER_PAGE = 25
STATUSES = ("active", "deactivated", "awaiting_validation", "all")


def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


@dataclass
class Criteria:
    q: str = ""
    city: str = ""
    module: int | None = None
    without_module: int | None = None
    classification: int | None = None
    status: str = "active"
    mine: bool = True  # "Only my authorities": Yes by default
    sort: str = "name"
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "Criteria":
        status = args.get("status", "active")
        return cls(
            q=args.get("q", "").strip()[:200],
            city=args.get("city", "").strip()[:100],
            module=_int(args.get("module")),
            without_module=_int(args.get("without_module")),
            classification=_int(args.get("classification")),
            status=status if status in STATUSES else "active",
            mine=args.get("mine", "yes") != "no",
            sort="-name" if args.get("sort") == "-name" else "name",
            page=max(_int(args.get("page")) or 1, 1),
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
            "sort": None if self.sort == "name" else self.sort,
            "page": None if self.page == 1 else self.page,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


COUNT_CAP = 500  # counts stop here: "more than 500 authorities found" (20 pages)
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


def conditions(user: User, criteria: Criteria) -> list:
    """The WHERE clause of ``criteria`` but the name, for ``user``: each criterion one index probe per row."""
    where = [Authority.country_id == user.authority.country_id]
    if criteria.status != "all":
        where.append(Authority.status == AuthorityStatus(criteria.status))
    if criteria.city:
        where.append(Authority.search_city.like(fold(criteria.city) + "%"))
    if criteria.mine:
        where.append(
            _exists(
                AccessManagerLink,
                AccessManagerLink.manager_authority_id == user.authority_id,
                AccessManagerLink.managed_authority_id == Authority.id,
            )
        )
    if criteria.module:
        where.append(
            _exists(
                ModuleAccess,
                ModuleAccess.authority_id == Authority.id,
                ModuleAccess.module_id == criteria.module,
                ModuleAccess.status == AccessStatus.ACTIVE,
            )
        )
    if criteria.without_module:
        # authorities that do not have (any) access to a newly introduced module.
        where.append(
            ~_exists(ModuleAccess, ModuleAccess.authority_id == Authority.id, ModuleAccess.module_id == criteria.without_module)
        )
    if criteria.classification:
        where.append(
            _exists(
                authority_classification,
                authority_classification.c.authority_id == Authority.id,
                authority_classification.c.entry_id == criteria.classification,
            )
        )
    return where


LIST_COLUMNS = (Authority.id, Authority.official_name, Authority.informal_name, Authority.city, Authority.status)


# --- the mechanics both searches share (managed authorities, the directory) -------------------


def name_terms(q: str) -> tuple[str | None, list]:
    """The words of ``q``: the one the trigram index serves (SQLite: the longest of 3+ letters,
    None elsewhere) and the conditions of the others, checked row by row."""
    words = fold(q).split()[:MAX_WORDS]
    indexed = None
    if db.engine.dialect.name == "sqlite":
        indexed = max((w for w in words if len(w) >= MIN_TRIGRAM), key=len, default=None)
    return indexed, [name_like(w) for w in words if w != indexed]


def trigram_hits(indexed: str, *where):
    """Authorities whose name contains ``indexed``, read lazily from the trigram index."""
    return (
        sa.select(sa.literal(1))
        .select_from(_fts.join(Authority, Authority.id == _fts.c.rowid))
        .where(_fts.c.authority_fts.op("MATCH")(fts_phrase(indexed)), *where)
    )


def capped_count(hits) -> tuple[int, bool]:
    """How many rows ``hits`` yields, counting no further than COUNT_CAP: (total, more)."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(hits.limit(COUNT_CAP + 1).subquery()))
    return min(total, COUNT_CAP), total > COUNT_CAP


def ordered_page(query, sort: str, page: int, total: int, more: bool, per_page: int):
    """Page ``page`` of ``query`` in name order: (rows, page, has_next). Past the capped count
    the pages go on as long as there are rows."""
    if not more:
        page = min(page, max(math.ceil(total / per_page), 1))
    descending = sort == "-name"
    rows = db.session.execute(
        query.order_by(
            Authority.search_name.desc() if descending else Authority.search_name,
            Authority.id.desc() if descending else Authority.id,
        )
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    ).all()
    return rows[:per_page], page, len(rows) > per_page


def search_page(where: list, q: str, sort: str, page: int, columns=LIST_COLUMNS, per_page: int = PER_PAGE) -> Page:
    """A page of authorities matching ``where`` (a list of conditions) and the name words of ``q``,
    sorted by name ("name" or "-name"), in two queries whatever the size.

    The cost depends on the page and on COUNT_CAP, not on how many authorities there are:

    - The count stops at COUNT_CAP. With a name term on SQLite it is driven by the trigram
      index (``authority_fts``, read lazily, each match checked against the other criteria by
      its row); otherwise by walking an index that ends in ``search_name``
      (``ix_authority_country_status_name``, ``ix_authority_status_name``).
    - The page is read in name order from that index, checking each entry, so it stops after a
      page of hits — unless there are at most COUNT_CAP hits for a name term: then they come
      from the trigram index and are sorted (few rows, and walking the name index could pass
      many entries before finding them).

    PostgreSQL's planner makes the same choices itself, from pg_trgm's statistics.
    The criteria in ``where`` should be single-row probes (columns, ``EXISTS`` on an index).
    """
    where = list(where)
    indexed, scanned = name_terms(q)
    if indexed:
        hits = trigram_hits(indexed, *where, *scanned)
    else:
        hits = sa.select(sa.literal(1)).select_from(Authority).where(*where, *scanned)
    total, more = capped_count(hits)
    if indexed:
        # Many hits: walk the name index; few: take them from the trigram index and sort them.
        where.append(name_like(indexed) if more else name_contains(db.engine.dialect.name, indexed))
    rows, page, has_next = ordered_page(sa.select(*columns).where(*where, *scanned), sort, page, total, more, per_page)
    return Page(rows=rows, total=total, page=page, per_page=per_page, more=more, has_next=has_next)


def search_managed(user: User, criteria: Criteria, per_page: int = PER_PAGE) -> Page:
    """"Managed authorities" (R-3.0): authorities of the user's country matching ``criteria``."""
    return search_page(conditions(user, criteria), criteria.q, criteria.sort, criteria.page, per_page=per_page)
