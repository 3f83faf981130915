"""Operations of "Send e-mail" (R-6.1): which authorities, who receives, and sending.

The sender chooses authorities of its own country only (R-1.3): either every active authority
matching the criteria of the "Managed authorities" search (by default "Only my authorities", the
authorities it is an access manager of, R-3.5), or the ones it ticked. The recipients are the
administrators (or all users) of those authorities, each address once. Each recipient gets
a message of its own through the outbox (R-6.2), in its language, showing no other address.
"""

import math
from dataclasses import dataclass, field

import sqlalchemy as sa

from .. import history
from ..authorities.search import COUNT_CAP, MAX_WORDS, PER_PAGE, Criteria, Page
from ..extensions import db
from ..inputs import db_int
from ..outbox import queue_mail
from ..models import (
    AccessManagerLink,
    AccessStatus,
    Authority,
    AuthorityStatus,
    HistoryEntry,
    ModuleAccess,
    OutboxMessage,
    User,
    fold,
    utcnow,
)
from ..models.search_index import name_contains
from .forms import ADMINISTRATORS, CHOSEN

TEMPLATE = "access_manager_message"
MAX_CHOSEN = 5000  # ticked authorities carried from page to page
PREVIEW_AUTHORITIES = 25


def mailing_criteria(args) -> Criteria:
    """The criteria of the managed-authorities search; only active authorities receive mail."""
    criteria = Criteria.from_args(args)
    criteria.status = "active"
    return criteria


def chosen_ids(values) -> set[int]:
    """The ticked authority ids of a form (anything but numbers ignored)."""
    ids = set()
    for value in values:
        if db_int(value) is not None and len(ids) < MAX_CHOSEN:
            ids.add(db_int(value))
    return ids


def mailable(user: User) -> list:
    """WHERE clauses of every authority ``user`` may write to: active, own country (R-1.3)."""
    return [Authority.country_id == user.authority.country_id, Authority.status == AuthorityStatus.ACTIVE]


def managed_by(user: User):
    """``authority`` is one of those ``user``'s authority is an access manager of (R-3.5)."""
    return sa.exists(
        sa.select(1).where(
            AccessManagerLink.manager_authority_id == user.authority_id,
            AccessManagerLink.managed_authority_id == Authority.id,
        )
    )


def matching(user: User, criteria: Criteria, mine: bool = True) -> list:
    """WHERE clauses of the mailable authorities matching ``criteria``: the criteria of the
    "Managed authorities" search (R-3.0) that "Send e-mail" offers, active authorities only.
    ``mine=False`` leaves "Only my authorities" to the caller."""
    where = mailable(user)
    if criteria.mine and mine:
        where.append(managed_by(user))
    dialect = db.engine.dialect.name
    for word in fold(criteria.q).split()[:MAX_WORDS]:
        where.append(name_contains(dialect, word))
    if criteria.city:
        where.append(Authority.search_city.like(fold(criteria.city) + "%"))
    if criteria.module:
        where.append(
            sa.exists(
                sa.select(1).where(
                    ModuleAccess.authority_id == Authority.id,
                    ModuleAccess.module_id == criteria.module,
                    ModuleAccess.status == AccessStatus.ACTIVE,
                )
            )
        )
    return where


@dataclass
class Selection:
    """The authorities a message goes to: those matching the criteria, or the ticked ones."""

    user: User
    criteria: Criteria
    mode: str
    chosen: set[int] = field(default_factory=set)

    def where(self) -> list:
        if self.mode == CHOSEN:
            # Ticked ids are checked again: never an authority of another country.
            return mailable(self.user) + [Authority.id.in_(sorted(self.chosen) or [0])]
        return matching(self.user, self.criteria)

    def authority_ids(self):
        return sa.select(Authority.id).where(*self.where())

    def count(self) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(Authority).where(*self.where()))

    def first_names(self, limit: int = PREVIEW_AUTHORITIES) -> list[str]:
        return list(
            db.session.scalars(
                sa.select(Authority.official_name).where(*self.where()).order_by(Authority.search_name, Authority.id).limit(limit)
            )
        )


def candidates(user: User, criteria: Criteria, per_page: int = PER_PAGE) -> Page:
    """A page of the authorities matching ``criteria``, to look at and tick: two queries.

    As in "Managed authorities", the count stops at COUNT_CAP (the preview gives the exact
    numbers). With "Only my authorities" the count starts from the access manager's links;
    a few hundred are then sorted, more are found by walking the name index in order.
    """
    where = matching(user, criteria, mine=False)
    if criteria.mine:
        hits = (
            sa.select(sa.literal(1))
            .select_from(AccessManagerLink)
            .join(Authority, Authority.id == AccessManagerLink.managed_authority_id)
            .where(AccessManagerLink.manager_authority_id == user.authority_id, *where)
        )
    else:
        hits = sa.select(sa.literal(1)).select_from(Authority).where(*where)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(hits.limit(COUNT_CAP + 1).subquery()))
    more = total > COUNT_CAP
    total = min(total, COUNT_CAP)
    page = criteria.page if more else min(criteria.page, max(math.ceil(total / per_page), 1))
    if criteria.mine:
        managed = sa.select(AccessManagerLink.managed_authority_id).where(
            AccessManagerLink.manager_authority_id == user.authority_id
        )
        where.append(managed_by(user) if more else Authority.id.in_(managed))
    descending = criteria.sort == "-name"
    rows = db.session.execute(
        sa.select(Authority.id, Authority.official_name, Authority.informal_name, Authority.city)
        .where(*where)
        .order_by(
            Authority.search_name.desc() if descending else Authority.search_name,
            Authority.id.desc() if descending else Authority.id,
        )
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    ).all()
    return Page(rows=rows[:per_page], total=total, page=page, per_page=per_page, more=more, has_next=len(rows) > per_page)


def recipients(selection: Selection, audience: str) -> list[tuple[str, str]]:
    """``(address, language)`` of each recipient, each address once (in one user's language).

    Only users of the selected active authorities; administrators only unless ``audience``
    is all users.
    """
    query = sa.select(User.email, User.language).where(
        User.authority_id.in_(selection.authority_ids()), User.email != ""
    )
    if audience == ADMINISTRATORS:
        query = query.where(User.is_admin.is_(True))
    seen = {}
    for email, language in db.session.execute(query):
        key = email.strip().casefold()
        if key and key not in seen:
            seen[key] = (email.strip(), language)
    return list(seen.values())


@dataclass
class Summary:
    recipients: int
    authorities: int
    authority_names: list[str]


def summarize(selection: Selection, audience: str) -> Summary:
    """What the preview states: how many recipients, in how many authorities, which ones."""
    return Summary(
        recipients=len(recipients(selection, audience)),
        authorities=selection.count(),
        authority_names=selection.first_names(),
    )


def send_message(sender: User, selection: Selection, *, audience: str, subject: str, message: str) -> Summary:
    """Queue one mail per recipient in the outbox and record it in the history (R-6.1, R-6.2).

    The body is rendered once per language (the recipient's language wraps the message);
    every recipient gets a message of its own, addressed to it alone.
    """
    addresses = recipients(selection, audience)
    authorities = selection.count()
    context = {
        "mail_subject": subject.strip(),
        "message": message.strip(),
        "audience": audience,
        "sender_name": sender.full_name,
        "sender_email": sender.email,
        "sender_authority": sender.authority.official_name,
    }
    rendered = {}
    copies = []
    for address, language in addresses:
        first = rendered.get(language)
        if first is None:
            rendered[language] = queue_mail(address, TEMPLATE, language, **context)
            continue
        copies.append(
            {
                "recipient": address,
                "language": first.language,
                "template": TEMPLATE,
                "subject": first.subject,
                "body_text": first.body_text,
                "next_attempt_at": utcnow(),
            }
        )
    if copies:
        # The same transaction as the history entry; in batches, not row by row.
        db.session.flush()
        db.session.execute(sa.insert(OutboxMessage), copies)
    history.record(
        "mailing.sent",
        actor=sender,
        authority=sender.authority,
        subject_label=subject.strip(),
        changes={
            "subject": [None, subject.strip()],
            "audience": [None, audience],
            "authorities": [None, authorities],
            "recipients": [None, len(addresses)],
        },
    )
    return Summary(recipients=len(addresses), authorities=authorities, authority_names=[])


def sent_messages(sender_authority: Authority, limit: int = 10):
    """The messages the sender's authority sent lately, newest first (from the history)."""
    return db.session.scalars(
        sa.select(HistoryEntry)
        .where(HistoryEntry.authority_id == sender_authority.id, HistoryEntry.action == "mailing.sent")
        .order_by(HistoryEntry.created_at.desc(), HistoryEntry.id.desc())
        .limit(limit)
    ).all()
