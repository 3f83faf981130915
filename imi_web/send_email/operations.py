"""Operations of "Send e-mail" (R-6.1): which authorities, who receives, and sending.

The sender chooses authorities of its own country only (R-1.3): either every active authority
matching the criteria of the "Managed authorities" search, found by the one authority search
(``imi_web/authority_search.py``; by default "Only my authorities", the authorities it is an
access manager of, R-3.5), or the ones it ticked. The recipients are the
administrators (or all users) of those authorities, each address once. Each recipient gets
a message of its own through the outbox (R-6.2), in its language, showing no other address.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa

from .. import history
from ..authority_search import PER_PAGE, AuthorityFilters, AuthoritySearch, Criteria, Page, authority_search
from ..extensions import db
from ..inputs import db_int
from ..outbox import queue_mail
from ..models import Authority, AuthorityStatus, HistoryEntry, OutboxMessage, User, utcnow
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


def mailing_search(user: User, criteria: Criteria) -> AuthoritySearch:
    """The mailable authorities matching ``criteria``: the criteria of the "Managed
    authorities" search (R-3.0) that "Send e-mail" offers, active authorities only."""
    filters = AuthorityFilters(
        q=criteria.q,
        country=user.authority.country_id,
        status=AuthorityStatus.ACTIVE,
        city=criteria.city,
        manager=user.authority_id if criteria.mine else None,
        module=criteria.module,
    )
    return authority_search(filters, sort=criteria.sort)


@dataclass
class Selection:
    """The authorities a message goes to: those matching the criteria, or the ticked ones."""

    user: User
    criteria: Criteria
    mode: str
    chosen: set[int] = field(default_factory=set)

    def where(self) -> tuple[list, dict]:
        """WHERE clauses on ``authority`` and their parameters."""
        if self.mode == CHOSEN:
            # Ticked ids are checked again: never an authority of another country.
            return mailable(self.user) + [Authority.id.in_(sorted(self.chosen) or [0])], {}
        search = mailing_search(self.user, self.criteria)
        return search.where(), search.params

    def authority_ids(self):
        where, params = self.where()
        return sa.select(Authority.id).where(*where), params

    def count(self) -> int:
        where, params = self.where()
        return db.session.scalar(sa.select(sa.func.count()).select_from(Authority).where(*where), params)

    def first_names(self, limit: int = PREVIEW_AUTHORITIES) -> list[str]:
        where, params = self.where()
        return list(
            db.session.scalars(
                sa.select(Authority.official_name).where(*where).order_by(Authority.search_name, Authority.id).limit(limit),
                params,
            )
        )


def candidates(user: User, criteria: Criteria, per_page: int = PER_PAGE) -> Page:
    """A page of the authorities matching ``criteria``, to look at and tick: two queries.

    As in "Managed authorities" (the same search), the count stops at COUNT_CAP (the preview
    gives the exact numbers).
    """
    return mailing_search(user, criteria).run(criteria.page, per_page)


def recipients(selection: Selection, audience: str) -> list[tuple[str, str]]:
    """``(address, language)`` of each recipient, each address once (in one user's language).

    Only users of the selected active authorities; administrators only unless ``audience``
    is all users.
    """
    authority_ids, params = selection.authority_ids()
    query = sa.select(User.email, User.language).where(User.authority_id.in_(authority_ids), User.email != "")
    if audience == ADMINISTRATORS:
        query = query.where(User.is_admin.is_(True))
    seen = {}
    for email, language in db.session.execute(query, params):
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
