"""Operations on invitations to self-register (R-2.2): plain functions, the view commits once.

The link's token is ``secrets.token_urlsafe(32)`` (256 bits); only its SHA-256 hash is stored.
Every change of an invitation's status is a conditional UPDATE on the status it must have
(``WHERE status = 'sent'``), so two requests racing for the same invitation (two submissions
of one link, a submission and a revocation, two validations) change it once: the loser
updates no row and is refused. The unique ``Invitation.authority_id`` is a second guard.
"""

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as pgettext  # lazy; named so that extraction finds it

from .. import history, policy
from ..authorities.operations import AUTHORITY_FIELDS
from ..extensions import db
from ..outbox import mail_user, queue_mail
from ..models import (
    Authority,
    AuthorityStatus,
    ClassificationEntry,
    Invitation,
    InvitationStatus,
    User,
    utcnow,
)
from ..refusals import Refused
from ..users.operations import administrators, register_user

TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 256 bits of randomness
LINK_PATH = "/register/"  # registration.start
USER_FIELDS = ("first_name", "surname", "email", "phone", "language")

# The one message for every link that cannot be used: expired, used, revoked, forged, truncated.
INVALID_LINK = _l(
    "This registration link cannot be used. It may have expired, been used already or been revoked. "
    "Ask the authority that invited you to send you a new invitation."
)
NOT_OPEN = _l("This invitation has been used or revoked: it can no longer be sent again or revoked.")

# What the list shows; "expired" is derived from expires_at (a sent invitation past it).
EXPIRED = "expired"
STATUS_LABELS = {
    InvitationStatus.SENT.value: pgettext("invitation status", "sent"),
    InvitationStatus.REGISTERED.value: pgettext("invitation status", "registered — awaiting validation"),
    InvitationStatus.VALIDATED.value: pgettext("invitation status", "validated"),
    InvitationStatus.REJECTED.value: pgettext("invitation status", "rejected"),
    EXPIRED: pgettext("invitation status", "expired"),
    InvitationStatus.REVOKED.value: pgettext("invitation status", "revoked"),
}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh link token and its hash; only the hash is kept."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, hash_token(token)


def invitation_link(token: str) -> str:
    """The link of the mail: always from the configured BASE_URL, never from the request's Host."""
    return current_app.config["BASE_URL"].rstrip("/") + LINK_PATH + token


def expiry():
    return utcnow() + timedelta(days=current_app.config["INVITATION_VALID_DAYS"])


def display_status(invitation: Invitation, now=None) -> str:
    """The status shown in the list: a sent invitation past its expiry is "expired"."""
    if invitation.status == InvitationStatus.SENT and invitation.expires_at <= (now or utcnow()):
        return EXPIRED
    return invitation.status.value


def _send(invitation: Invitation, token: str) -> None:
    queue_mail(
        invitation.email,
        "invitation",
        invitation.language,
        inviting_authority=invitation.inviting_authority.official_name,
        suggested_name=invitation.suggested_name,
        message=invitation.message,
        link=invitation_link(token),
        expires_at=invitation.expires_at,
    )


def record_invitation(action: str, actor: User | None, invitation: Invitation, changes: dict) -> None:
    """Invitations are filed under the inviting authority's history (R-3.5)."""
    history.record(
        action,
        actor=actor,
        authority=invitation.inviting_authority,
        subject=invitation,
        subject_label=invitation.email,
        changes=changes,
    )


def change_status(invitation: Invitation, old: InvitationStatus, **values) -> bool:
    """``UPDATE invitation SET … WHERE id = … AND status = old``: True if this request won."""
    result = db.session.execute(
        sa.update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.status == old)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    db.session.refresh(invitation)
    return True


# --- the access manager's side (R-2.2.1) ------------------------------------------------------


def create_invitation(actor: User, *, email: str, suggested_name: str, language: str, message: str) -> Invitation:
    """Invite ``email`` to register an authority in the actor's country; mail the link."""
    token, token_hash = new_token()
    invitation = Invitation(
        country_id=actor.authority.country_id,
        inviting_authority_id=actor.authority_id,
        invited_by_user_id=actor.id,
        email=email.strip(),
        suggested_name=(suggested_name or "").strip(),
        language=language,
        message=(message or "").strip(),
        token_hash=token_hash,
        status=InvitationStatus.SENT,
        expires_at=expiry(),
    )
    db.session.add(invitation)
    db.session.flush()
    _send(invitation, token)
    record_invitation(
        "invitation.created",
        actor,
        invitation,
        {
            "email": [None, invitation.email],
            "suggested_name": [None, invitation.suggested_name],
            "language": [None, invitation.language],
            "expires_at": [None, invitation.expires_at],
        },
    )
    return invitation


def resend_invitation(actor: User, invitation: Invitation) -> Invitation:
    """A new link (the old one stops working) with a new expiry, mailed again."""
    token, token_hash = new_token()
    old_expiry = invitation.expires_at
    if not change_status(invitation, policy.OPEN_INVITATION, token_hash=token_hash, expires_at=expiry()):
        raise Refused({"invitation": [NOT_OPEN]})
    _send(invitation, token)
    record_invitation("invitation.resent", actor, invitation, {"expires_at": [old_expiry, invitation.expires_at]})
    return invitation


def revoke_invitation(actor: User, invitation: Invitation) -> Invitation:
    """End an open invitation (``policy.may_revoke_invitation``), also an expired one."""
    if not change_status(invitation, policy.OPEN_INVITATION, status=InvitationStatus.REVOKED):
        raise Refused({"invitation": [NOT_OPEN]})
    record_invitation(
        "invitation.revoked",
        actor,
        invitation,
        {"status": [policy.OPEN_INVITATION.value, InvitationStatus.REVOKED.value]},
    )
    return invitation


PER_PAGE = 50


@dataclass
class InvitationPage:
    rows: list
    total: int
    page: int
    pages: int


def invitations_of(authority: Authority, status: str = "", page: int = 1) -> InvitationPage:
    """One page of the authority's invitations, newest first; ``status`` as shown (``expired``
    included). Two queries: the count and the page."""
    conditions = [Invitation.inviting_authority_id == authority.id]
    now = utcnow()
    if status == EXPIRED:
        conditions += [Invitation.status == InvitationStatus.SENT, Invitation.expires_at <= now]
    elif status == InvitationStatus.SENT.value:
        conditions += [Invitation.status == InvitationStatus.SENT, Invitation.expires_at > now]
    elif status in STATUS_LABELS:
        conditions.append(Invitation.status == InvitationStatus(status))
    total = db.session.scalar(sa.select(sa.func.count(Invitation.id)).where(*conditions))
    pages = max(math.ceil(total / PER_PAGE), 1)
    page = min(max(page, 1), pages)
    rows = db.session.scalars(
        sa.select(Invitation)
        .where(*conditions)
        .options(selectinload(Invitation.authority))
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    return InvitationPage(rows=list(rows), total=total, page=page, pages=pages)


# --- the invited authority's side (R-2.2.2, R-2.2.3) -----------------------------------------


def usable_invitation(token_hash: str | None) -> Invitation | None:
    """The invitation of a link that can still be used, or None (one answer for every reason)."""
    if not token_hash:
        return None
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.token_hash == token_hash))
    if invitation is None or invitation.status != InvitationStatus.SENT or invitation.expires_at <= utcnow():
        return None
    return invitation


def register_invited_authority(
    token_hash: str,
    *,
    data: dict,
    classification_entries: list[ClassificationEntry],
    first_user: dict,
) -> tuple[Authority, User]:
    """The invited authority registers itself: "awaiting validation", in the invitation's
    country, with its first user as administrator (no password mailed until validation)."""
    now = utcnow()
    claimed = db.session.execute(
        sa.update(Invitation)
        .where(
            Invitation.token_hash == token_hash,
            Invitation.status == InvitationStatus.SENT,
            Invitation.expires_at > now,
        )
        .values(status=InvitationStatus.REGISTERED, used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise Refused({"invitation": [INVALID_LINK]})
    invitation = db.session.scalar(
        sa.select(Invitation).where(Invitation.token_hash == token_hash).execution_options(populate_existing=True)
    )
    authority = Authority(
        country_id=invitation.country_id,  # from the invitation, never from the form
        status=AuthorityStatus.AWAITING_VALIDATION,
        **{field: (data.get(field) or "").strip() for field in AUTHORITY_FIELDS},
    )
    authority.classification_entries = list(classification_entries)
    db.session.add(authority)
    db.session.flush()
    changes = {field: [None, getattr(authority, field)] for field in AUTHORITY_FIELDS if getattr(authority, field)}
    changes["classification"] = [None, sorted(entry.code for entry in classification_entries)]
    changes["status"] = [None, AuthorityStatus.AWAITING_VALIDATION.value]
    history.record_authority_change("authority.self_registered", actor=None, authority=authority, changes=changes)
    user, _password = register_user(authority, actor=None, is_admin=True, send_mail=False, **first_user)
    invitation.authority_id = authority.id
    db.session.flush()  # the unique authority_id: one authority per invitation, whatever happens
    record_invitation(
        "invitation.registered",
        None,
        invitation,
        {
            "status": [InvitationStatus.SENT.value, InvitationStatus.REGISTERED.value],
            "authority": [None, authority.official_name],
        },
    )
    for admin in administrators(invitation.inviting_authority):
        mail_user(
            admin,
            "invitation_registered",
            authority_name=authority.official_name,
            invited_email=invitation.email,
            validation_link=current_app.config["BASE_URL"].rstrip("/") + f"/validation/{authority.id}",
        )
    return authority, user
