"""The directory (R-5.2, R-3.4): active authorities of all countries, a constant number of queries.

Like the "Managed authorities" search (``authorities/search.py``), the criteria come from the
query string, so a search is a URL, served the same with and without htmx. A page costs
three queries whatever the size of the directory: the count, the page of rows (LIMIT/OFFSET,
index-bound name filter), and the active modules of that page's authorities.

Only active authorities are ever found (deactivated, awaiting validation and rejected ones
never), and a module whose access is suspended neither matches the module criterion nor is
listed for the authority (R-3.4).
"""

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa

from ..authorities.search import PER_PAGE, Page, _exists, _int, capped_count, name_terms, ordered_page, trigram_hits
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
from ..models.search_index import name_contains, name_like

ROLES = tuple(role.value for role in ModuleRole)


@dataclass
class DirectoryCriteria:
    q: str = ""
    country: int | None = None
    city: str = ""
    module: int | None = None
    role: str = ""  # "coordinator" or "authority": the role in the module (any module if none)
    sort: str = "name"
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "DirectoryCriteria":
        role = args.get("role", "")
        return cls(
            q=args.get("q", "").strip()[:200],
            country=_int(args.get("country")),
            city=args.get("city", "").strip()[:100],
            module=_int(args.get("module")),
            role=role if role in ROLES else "",
            sort="-name" if args.get("sort") == "-name" else "name",
            page=max(_int(args.get("page")) or 1, 1),
        )

    def args(self, **changes) -> dict:
        """Query-string arguments of these criteria (with ``changes``), defaults left out."""
        values = {
            "q": self.q,
            "country": self.country,
            "city": self.city,
            "module": self.module,
            "role": self.role,
            "sort": None if self.sort == "name" else self.sort,
            "page": None if self.page == 1 else self.page,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


def _prefix(column, text: str):
    """``column`` starts with ``text``: on SQLite as a range of the binary collation, which its
    b-tree index serves (with a skip-scan over the country); elsewhere ``LIKE 'text%'``, which
    PostgreSQL's trigram index serves whatever the database's collation."""
    if db.engine.dialect.name == "sqlite":
        return sa.and_(column >= text, column < text + "\U0010ffff")
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(escaped + "%", escape="\\")


def directory_filter(criteria: DirectoryCriteria) -> list:
    """The WHERE clauses of a directory search but the name and the module: active authorities."""
    where = [Authority.status == AuthorityStatus.ACTIVE]
    if criteria.country:
        where.append(Authority.country_id == criteria.country)
    if criteria.city:
        where.append(_prefix(Authority.search_city, fold(criteria.city)))
    return where


def module_filter(criteria: DirectoryCriteria) -> list:
    """Conditions on ``module_access`` of the module and role criteria ([] without them).

    A suspended access is no partner in that module (R-3.4): active accesses only.
    """
    if not (criteria.module or criteria.role):
        return []
    access = [ModuleAccess.status == AccessStatus.ACTIVE]
    if criteria.module:
        access.append(ModuleAccess.module_id == criteria.module)
    if criteria.role:
        access.append(ModuleAccess.role == ModuleRole(criteria.role))
    return access


@dataclass(frozen=True)
class ModuleEntry:
    """One active module of an authority as the directory lists it."""

    module_id: int
    code: str
    name_lv: str
    name_en: str
    role: ModuleRole

    def name(self, language: str) -> str:
        return self.name_lv if language == "lv" else self.name_en


def active_modules(authority_ids) -> dict[int, list[ModuleEntry]]:
    """The active module accesses of ``authority_ids``, in one query, by authority."""
    modules = defaultdict(list)
    if not authority_ids:
        return modules
    rows = db.session.execute(
        sa.select(ModuleAccess.authority_id, Module.id, Module.code, Module.name_lv, Module.name_en, ModuleAccess.role)
        .join(Module, Module.id == ModuleAccess.module_id)
        .where(ModuleAccess.authority_id.in_(list(authority_ids)), ModuleAccess.status == AccessStatus.ACTIVE)
        .order_by(Module.code)
    ).all()
    for authority_id, module_id, code, name_lv, name_en, role in rows:
        modules[authority_id].append(ModuleEntry(module_id, code, name_lv, name_en, role))
    return modules


def search_directory(criteria: DirectoryCriteria, per_page: int = PER_PAGE) -> Page:
    """Active authorities of every country matching ``criteria``: three queries, whatever the size.

    The same plan as "Managed authorities" (``search_managed``): the count stops at COUNT_CAP
    (``Page.more``) and, with a name term on SQLite, is driven by the trigram index; the page
    is read with LIMIT in name order (``ix_authority_status_name``), from the trigram index
    when a term has at most COUNT_CAP hits. The active modules of the page's authorities
    then come in one query. Each row has the public contact data, the country, and
    ``modules`` (a list of ``ModuleEntry``).
    """
    where = directory_filter(criteria)
    access = module_filter(criteria)
    indexed, scanned = name_terms(criteria.q)
    partner = [_exists(ModuleAccess, ModuleAccess.authority_id == Authority.id, *access)] if access else []
    if indexed:  # driven by the trigram index
        hits = trigram_hits(indexed, *where, *scanned, *partner)
    elif access:  # driven by ix_module_access_module_role_status
        hits = (
            sa.select(ModuleAccess.authority_id)
            .join(Authority, Authority.id == ModuleAccess.authority_id)
            .where(*access, *where, *scanned)
            .distinct()
        )
    else:  # driven by the name index
        hits = sa.select(sa.literal(1)).select_from(Authority).where(*where, *scanned)
    total, more = capped_count(hits)
    # Few hits: read them through the index that found them, and sort them; many: walk the
    # name index in order, checking each entry, which stops after a page.
    if indexed:
        where.append(name_like(indexed) if more else name_contains(db.engine.dialect.name, indexed))
    if access:
        if more or indexed:
            where += partner
        else:
            where.append(Authority.id.in_(sa.select(ModuleAccess.authority_id).where(*access)))
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
        .join(Country, Country.id == Authority.country_id)
        .where(*where, *scanned)
    )
    rows, page, has_next = ordered_page(query, criteria.sort, criteria.page, total, more, per_page)
    modules = active_modules([row.id for row in rows])
    entries = [DirectoryEntry(row, modules.get(row.id, [])) for row in rows]
    return Page(rows=entries, total=total, page=page, per_page=per_page, more=more, has_next=has_next)


class DirectoryEntry:
    """A row of the directory with its modules; attributes of the row are readable directly."""

    __slots__ = ("row", "modules")

    def __init__(self, row, modules):
        self.row = row
        self.modules = modules

    def __getattr__(self, name):
        return getattr(self.row, name)

    def country_name(self, language: str) -> str:
        return self.row.country_name_lv if language == "lv" else self.row.country_name_en
