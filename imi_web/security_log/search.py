"""The security events of one country, filtered and paged, newest first.

A page is two statements: a count capped at COUNT_CAP and the page itself, each walking an
index newest first (country and time; or username, user or authority and time)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from flask_babel import to_utc

from ..authority_search import COUNT_CAP, STREAM_BATCH, ListCriteria, Page
from ..extensions import db
from ..models import Authority, SecurityEvent, fold
from ..security_events import KIND_LABELS

PER_PAGE = 50


def _date(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass
class EventCriteria(ListCriteria):
    kind: str = ""
    username: str = ""
    authority: str = ""  # part of the authority's official name
    since: date | None = None  # days in the installation's time zone, both included
    until: date | None = None

    @classmethod
    def from_args(cls, args) -> "EventCriteria":
        args = cls.plain(args)
        kind = args.get("kind", "")
        return cls(
            kind=kind if kind in KIND_LABELS else "",
            username=args.get("username", "").strip().lower()[:64],
            authority=args.get("authority", "").strip()[:200],
            since=_date(args.get("since")),
            until=_date(args.get("until")),
            **cls.list_args(args),
        )

    def args(self, **changes) -> dict:
        values = {
            "kind": self.kind,
            "username": self.username,
            "authority": self.authority,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }
        values = self.query(values, changes)
        values.pop("sort", None)  # always newest first
        return values


def _start_of(day: date) -> datetime:
    """Midnight of ``day`` in the installation's time zone, in UTC."""
    return to_utc(datetime.combine(day, time.min)).replace(tzinfo=timezone.utc)


def event_conditions(country_id: int, criteria: EventCriteria) -> list:
    """The WHERE clauses of ``criteria`` within the country (the list and its export)."""
    conditions = [SecurityEvent.country_id == country_id]
    if criteria.kind:
        conditions.append(SecurityEvent.kind == criteria.kind)
    if criteria.username:
        conditions.append(SecurityEvent.username == criteria.username)
    if criteria.authority:
        term = fold(criteria.authority).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(
            SecurityEvent.authority_id.in_(
                sa.select(Authority.id).where(
                    Authority.country_id == country_id, Authority.search_name.like(f"%{term}%", escape="\\")
                )
            )
        )
    if criteria.since:
        conditions.append(SecurityEvent.occurred_at >= _start_of(criteria.since))
    if criteria.until:
        conditions.append(SecurityEvent.occurred_at < _start_of(criteria.until + timedelta(days=1)))
    return conditions


NEWEST_FIRST = (SecurityEvent.occurred_at.desc(), SecurityEvent.id.desc())


def search_events(country_id: int, criteria: EventCriteria, per_page: int = PER_PAGE) -> Page:
    conditions = event_conditions(country_id, criteria)
    cap = None if criteria.exact else COUNT_CAP + 1
    counted = sa.select(SecurityEvent.id).where(*conditions).limit(cap).subquery()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(counted))
    more = cap is not None and total > COUNT_CAP
    rows = db.session.scalars(
        sa.select(SecurityEvent)
        .where(*conditions)
        .order_by(*NEWEST_FIRST)
        .limit(per_page + 1)
        .offset((criteria.page - 1) * per_page)
    ).all()
    return Page(
        rows=rows[:per_page],
        total=COUNT_CAP if more else total,
        page=criteria.page,
        per_page=per_page,
        more=more,
        has_next=len(rows) > per_page,
    )


def all_events(country_id: int, criteria: EventCriteria):
    """Every event of ``criteria``, newest first, streamed (the export)."""
    statement = sa.select(SecurityEvent.__table__).where(*event_conditions(country_id, criteria)).order_by(*NEWEST_FIRST)
    return db.session.connection().execute(statement, execution_options={"yield_per": STREAM_BATCH})
