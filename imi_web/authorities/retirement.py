"""Retiring an authority: suspend all modules, deactivate, reactivate (R-5.1, R-5.4).

Plain functions: they take the acting user and explicit objects, change the session and
record history; the view commits once. A refusal raises ``Refused``.

The deletion date is ``AUTHORITY_DELETION_MONTHS`` calendar months after the deactivation:
the same day of the month and time of day (UTC), or the last day of the month when that
month is shorter (31 August → 28 or 29 February). ``imi_web.purge`` deletes the authority
once that moment has passed (R-5.3).
"""

import calendar
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone

from .. import history, policy, security_events, sessions
from ..choices import active_accesses
from ..extensions import db
from ..models import (
    Authority,
    AuthorityStatus,
    Invitation,
    InvitationStatus,
    ModuleAccess,
    User,
    utcnow,
)
from ..refusals import Refused
from .operations import suspend_module_access
from .tabs import tab


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus ``months`` calendar months, clamped to the end of a shorter month."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def deletion_months() -> int:
    return int(current_app.config["AUTHORITY_DELETION_MONTHS"])


def deletion_due_at(deactivated_at: datetime) -> datetime:
    """When an authority deactivated at ``deactivated_at`` is deleted (R-5.3)."""
    return add_months(deactivated_at, deletion_months())


def days_left(due_at: datetime, now: datetime | None = None) -> int:
    """Whole days from today to the deletion date, as local calendar dates (never negative)."""
    now = now or utcnow()
    return max((to_user_timezone(due_at).date() - to_user_timezone(now).date()).days, 0)


def active_module_accesses(authority: Authority) -> list[ModuleAccess]:
    return active_accesses(authority)  # the section names each module


def retirement_details(authority: Authority) -> dict:
    """What the section shows, decided by the policy (every view of the tab alike)."""
    user = policy.acting_user()
    may_retire = policy.may_deactivate_authority(user, authority)
    details = {"may_retire": may_retire, "active": [], "suspendable": [], "due_at": None, "days_left": None}
    if authority.status == AuthorityStatus.DEACTIVATED and authority.deactivated_at is not None:
        details["due_at"] = deletion_due_at(authority.deactivated_at)
        details["days_left"] = days_left(details["due_at"])
        details["may_retire"] = policy.may_reactivate_authority(user, authority)
    elif authority.status == AuthorityStatus.ACTIVE and may_retire:
        details["active"] = active_module_accesses(authority)
        details["suspendable"] = [
            access for access in details["active"] if policy.may_manage_module(user, authority, access.module)
        ]
    return details


@tab("authority")
def authority_context(authority: Authority, context: dict) -> dict:
    """Tab "Authority": its facts come with the authority; the retirement section (shown
    unless the details are being edited) is read here."""
    return {} if context.get("editing") else {"retirement": retirement_details(authority)}


def suspend_all_modules(actor: User, authority: Authority, may_suspend) -> list[ModuleAccess]:
    """Suspend every active module access ``may_suspend(access)`` allows (R-5.1 step 1).

    Each suspension is recorded on its own, as if done one by one on tab "Modules". Returns
    the accesses still active afterwards (those outside a partial delegation).
    """
    if authority.status != AuthorityStatus.ACTIVE:
        raise Refused({"modules": [_l("Only an active authority has module access to suspend.")]})
    remaining = []
    for access in active_module_accesses(authority):
        if may_suspend(access):
            suspend_module_access(actor, access)
        else:
            remaining.append(access)
    return remaining


def deactivate_authority(actor: User, authority: Authority, now: datetime | None = None) -> dict:
    """Deactivate ``authority`` (R-5.1 step 2, R-5.2).

    Refused while any module access is active. Its users' sessions end (a new session nonce)
    and its pending invitations are revoked. Returns what was done, for the message.
    """
    if authority.is_nimic:
        raise Refused({"authority": [_l("A national IMI coordinator cannot be deactivated.")]})
    if authority.status != AuthorityStatus.ACTIVE:
        raise Refused({"authority": [_l("Only an active authority can be deactivated.")]})
    active = active_module_accesses(authority)
    if active:
        raise Refused(
            {
                "modules": [
                    _l(
                        "Access to these modules is still active: %(modules)s. Suspend access to all "
                        "modules before you deactivate the authority.",
                        modules=", ".join(access.module.code for access in active),
                    )
                ]
            }
        )
    now = now or utcnow()
    authority.status = AuthorityStatus.DEACTIVATED
    authority.deactivated_at = now
    authority.deletion_reminder_sent_at = None
    history.record_status_change("authority.deactivated", actor=actor, authority=authority, old=AuthorityStatus.ACTIVE)
    users = list(db.session.scalars(sa.select(User).where(User.authority_id == authority.id)))
    for user in users:
        sessions.end_user_sessions(user, reason=security_events.ENDED_BY_DEACTIVATION, actor=actor)
    revoked = revoke_pending_invitations(actor, authority)
    return {"users": len(users), "invitations": revoked, "due_at": deletion_due_at(now)}


def revoke_pending_invitations(actor: User, authority: Authority) -> int:
    """Revoke the invitations not yet used that ``authority`` sent, or is registering through."""
    invitations = db.session.scalars(
        sa.select(Invitation)
        .where(
            sa.or_(Invitation.inviting_authority_id == authority.id, Invitation.authority_id == authority.id),
            Invitation.status == InvitationStatus.SENT,
        )
        .order_by(Invitation.id)
    ).all()
    for invitation in invitations:
        invitation.status = InvitationStatus.REVOKED
        history.record(
            "invitation.revoked",
            actor=actor,
            authority=authority,
            subject=invitation,
            subject_label=invitation.suggested_name,
            changes={"status": [InvitationStatus.SENT.value, InvitationStatus.REVOKED.value]},
        )
    return len(invitations)


def reactivate_authority(actor: User, authority: Authority) -> None:
    """Reactivate a deactivated authority before its deletion (R-5.4).

    Its module access stays suspended: the access manager restores the modules it should
    use on tab "Modules". Its users can log in again.
    """
    if authority.status != AuthorityStatus.DEACTIVATED:
        raise Refused({"authority": [_l("Only a deactivated authority can be reactivated.")]})
    authority.status = AuthorityStatus.ACTIVE
    authority.deactivated_at = None
    authority.deletion_reminder_sent_at = None
    history.record_status_change("authority.reactivated", actor=actor, authority=authority, old=AuthorityStatus.DEACTIVATED)
