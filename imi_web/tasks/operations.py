"""Operations of menu "My tasks" → "For validation" (R-2.2.4): the registrations that the
invitations of this authority brought in, corrected, validated or rejected by its access
managers. Plain functions; the view commits once."""

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager
from flask_babel import lazy_gettext as _l

from .. import history, policy
from ..authorities.operations import access_managers, add_access_manager, update_authority
from ..extensions import db
from ..invitations.operations import USER_FIELDS, change_status, record_invitation
from ..models import Authority, AuthorityStatus, ClassificationEntry, Invitation, InvitationStatus, User, utcnow
from ..outbox import queue_mail
from ..refusals import Refused
from ..users.operations import issue_temporary_password

NOT_AWAITING = _l("This registration is no longer awaiting validation.")

_AWAITING_VALIDATION_COUNT = sa.select(sa.func.count(Invitation.id)).where(
    Invitation.inviting_authority_id == sa.bindparam("authority_id"),
    Invitation.status == policy.AWAITING_VALIDATION,
)


def awaiting_validation_count(authority_id: int) -> int:
    """One COUNT over the (inviting authority, status) index, for the menu of every page:
    built once, run on the connection (no ORM work)."""
    return db.session.connection().execute(_AWAITING_VALIDATION_COUNT, {"authority_id": authority_id}).scalar_one()


def awaiting_validation(authority: Authority) -> list[Invitation]:
    return list(
        db.session.scalars(
            sa.select(Invitation)
            .join(Authority, Authority.id == Invitation.authority_id)
            .options(contains_eager(Invitation.authority))  # the list shows it: no query per row
            .where(
                Invitation.inviting_authority_id == authority.id,
                Invitation.status == policy.AWAITING_VALIDATION,
            )
            .order_by(Invitation.used_at, Invitation.id)
        )
    )


def first_user(authority: Authority) -> User | None:
    return db.session.scalar(sa.select(User).where(User.authority_id == authority.id).order_by(User.id).limit(1))


def correct_registration(
    actor: User,
    invitation: Invitation,
    *,
    data: dict,
    classification_entries: list[ClassificationEntry],
    user_data: dict,
    expected_version: int,
) -> None:
    """The access manager corrects the registered data before validating (R-2.2.4)."""
    if not policy.awaits_validation(invitation):
        raise Refused({"invitation": [NOT_AWAITING]})
    update_authority(
        actor,
        invitation.authority,
        data=data,
        classification_entries=classification_entries,
        expected_version=expected_version,
    )
    user = first_user(invitation.authority)
    if user is None:
        return
    before = history.snapshot(user, USER_FIELDS)
    for field in USER_FIELDS:
        setattr(user, field, (user_data.get(field) or "").strip())
    changes = history.changes_between(before, history.snapshot(user, USER_FIELDS))
    if changes:
        history.record_user_change("user.updated", actor=actor, user=user, changes=changes)


def validate_registration(actor: User, invitation: Invitation) -> Authority:
    """Validate: the authority becomes active, the inviting authority its access manager, and
    the first user gets a temporary password by mail (never the username)."""
    if not change_status(invitation, policy.AWAITING_VALIDATION, status=InvitationStatus.VALIDATED):
        raise Refused({"invitation": [NOT_AWAITING]})
    authority = invitation.authority
    if authority.status != AuthorityStatus.AWAITING_VALIDATION:
        raise Refused({"invitation": [NOT_AWAITING]})
    authority.status = AuthorityStatus.ACTIVE
    authority.updated_at = utcnow()
    users = list(authority.users)
    for user in users:
        issue_temporary_password(user, actor=actor, reason="registered")
    history.record_status_change(
        "authority.validated",
        actor=actor,
        authority=authority,
        old=AuthorityStatus.AWAITING_VALIDATION,
        temporary_password_sent_to=[None, sorted(user.full_name for user in users)],
    )
    manager = invitation.inviting_authority
    if manager not in access_managers(authority):
        add_access_manager(actor, authority, manager)
    record_invitation("invitation.validated", actor, invitation, {"authority": [None, authority.official_name]})
    return authority


def reject_registration(actor: User, invitation: Invitation, reason: str) -> Authority:
    """Reject with a reason mailed to the applicant; nothing becomes active (R-2.2.4)."""
    reason = (reason or "").strip()
    if not reason:
        raise Refused({"reason": [_l("Give the reason for the rejection.")]})
    if not change_status(
        invitation, policy.AWAITING_VALIDATION, status=InvitationStatus.REJECTED, rejection_reason=reason
    ):
        raise Refused({"invitation": [NOT_AWAITING]})
    authority = invitation.authority
    authority.status = AuthorityStatus.REJECTED
    authority.updated_at = authority.rejected_at = utcnow()
    history.record_status_change(
        "authority.rejected",
        actor=actor,
        authority=authority,
        old=AuthorityStatus.AWAITING_VALIDATION,
        rejection_reason=[None, reason],
    )
    record_invitation(
        "invitation.rejected",
        actor,
        invitation,
        {"authority": [None, authority.official_name], "rejection_reason": [None, reason]},
    )
    recipients = {invitation.email.lower(): (invitation.email, invitation.language)}
    for user in authority.users:
        recipients.setdefault(user.email.lower(), (user.email, user.language))
    for address, language in recipients.values():
        queue_mail(
            address,
            "registration_rejected",
            language,
            authority_name=authority.official_name,
            inviting_authority=invitation.inviting_authority.official_name,
            reason=reason,
        )
    return authority
