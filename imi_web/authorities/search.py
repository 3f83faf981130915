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
from ..models.search_index import name_contains

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


@dataclass
class Page:
    rows: list = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(math.ceil(self.total / self.per_page), 1)


def search_managed(user: User, criteria: Criteria, per_page: int = PER_PAGE) -> Page:
    """Authorities of the user's country matching ``criteria``: two queries, whatever the size."""
    dialect = db.engine.dialect.name
    where = [Authority.country_id == user.authority.country_id]
    if criteria.mine:
        where.append(
            Authority.id.in_(
                sa.select(AccessManagerLink.managed_authority_id).where(
                    AccessManagerLink.manager_authority_id == user.authority_id
                )
            )
        )
    for word in fold(criteria.q).split():
        where.append(name_contains(dialect, word))
    if criteria.city:
        where.append(Authority.search_city.like(fold(criteria.city) + "%"))
    if criteria.status != "all":
        where.append(Authority.status == AuthorityStatus(criteria.status))
    if criteria.module:
        where.append(
            Authority.id.in_(
                sa.select(ModuleAccess.authority_id).where(
                    ModuleAccess.module_id == criteria.module, ModuleAccess.status == AccessStatus.ACTIVE
                )
            )
        )
    if criteria.without_module:
        # authorities that do not have (any) access to a newly introduced module.
        where.append(
            ~Authority.id.in_(
                sa.select(ModuleAccess.authority_id).where(ModuleAccess.module_id == criteria.without_module)
            )
        )
    if criteria.classification:
        where.append(
            Authority.id.in_(
                sa.select(authority_classification.c.authority_id).where(
                    authority_classification.c.entry_id == criteria.classification
                )
            )
        )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Authority).where(*where))
    order = Authority.search_name.desc() if criteria.sort == "-name" else Authority.search_name
    page = min(criteria.page, max(math.ceil(total / per_page), 1))
    rows = db.session.execute(
        sa.select(
            Authority.id,
            Authority.official_name,
            Authority.informal_name,
            Authority.city,
            Authority.status,
        )
        .where(*where)
        .order_by(order, Authority.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(rows=rows, total=total, page=page, per_page=per_page)
