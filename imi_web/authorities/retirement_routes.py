"""Views of retiring an authority on tab "Authority": suspend all modules, deactivate and
reactivate (R-5.1, R-5.4).

Load the objects (404) → check the policy (403) → call an operation → commit once. The
confirmation step is a page of its own (works without JavaScript); htmx swaps just the
section ``#retirement``. Deactivation and reactivation change the whole page (its status),
so they end with a redirect (``HX-Redirect`` for htmx).
"""

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from .. import policy
from ..extensions import db
from ..i18n import format_day
from ..htmx import is_htmx, redirect_to, render
from ..models import Authority, AuthorityStatus
from ..refusals import Refused
from . import bp
from .retirement import (
    active_module_accesses,
    days_left,
    deactivate_authority,
    deletion_due_at,
    reactivate_authority,
    suspend_all_modules,
)
from .loading import load_authority
from .tabs import tab_context

CHANGED_MEANWHILE = _l("Someone else changed this authority meanwhile. Try again.")


def retirement_details(authority: Authority) -> dict:
    """What the section shows, decided by the policy (every view of the tab alike)."""
    may_retire = policy.may_deactivate_authority(current_user, authority)
    details = {"may_retire": may_retire, "active": [], "suspendable": [], "due_at": None, "days_left": None}
    if authority.status == AuthorityStatus.DEACTIVATED and authority.deactivated_at is not None:
        details["due_at"] = deletion_due_at(authority.deactivated_at)
        details["days_left"] = days_left(details["due_at"])
        details["may_retire"] = policy.may_reactivate_authority(current_user, authority)
    elif authority.status == AuthorityStatus.ACTIVE and may_retire:
        details["active"] = active_module_accesses(authority)
        details["suspendable"] = [
            access for access in details["active"] if policy.may_manage_module(current_user, authority, access.module)
        ]
    return details


@bp.context_processor
def _retirement_details():
    return {"retirement_details": retirement_details}


def _load(authority_id: int) -> Authority:
    return load_authority(authority_id)


def _section(authority: Authority, status: int = 200, **extra):
    """The section for htmx, the tab "Authority" as a page otherwise."""
    return render(
        "authorities/show.html",
        "authorities/_retirement.html",
        status=status,
        **tab_context(authority, "authority", **extra),
    )


def _tab_url(authority_id: int) -> str:
    return url_for("authorities.show", authority_id=authority_id, tab="authority")


@bp.post("/<int:authority_id>/authority/suspend-all")
@login_required
def suspend_all(authority_id):
    authority = _load(authority_id)
    policy.require(policy.may_deactivate_authority(current_user, authority))
    before = len(active_module_accesses(authority))
    try:
        remaining = suspend_all_modules(
            current_user, authority, lambda access: policy.may_manage_module(current_user, authority, access.module)
        )
    except Refused as refused:
        db.session.rollback()
        authority = db.session.get(Authority, authority_id)
        return _section(authority, status=422, retirement_error=refused.message())
    db.session.commit()
    suspended = before - len(remaining)
    notice = ngettext(
        "Access to %(num)d module has been suspended.", "Access to %(num)d modules has been suspended.", suspended
    )
    if not is_htmx():
        flash(notice, "success")
        return redirect_to(_tab_url(authority_id))
    return _section(authority, retirement_notice=notice)


@bp.route("/<int:authority_id>/authority/deactivate", methods=["GET", "POST"])
@login_required
def deactivate(authority_id):
    authority = _load(authority_id)
    policy.require(policy.may_deactivate_authority(current_user, authority))
    if request.method == "GET":
        return _section(authority, confirming=True)
    try:
        done = deactivate_authority(current_user, authority)
        db.session.commit()
    except (Refused, StaleDataError) as error:
        db.session.rollback()
        authority = db.get_or_404(Authority, authority_id)  # gone: deleted meanwhile
        message = error.message() if isinstance(error, Refused) else str(CHANGED_MEANWHILE)
        return _section(authority, status=422, retirement_error=message)
    message = _(
        "The authority has been deactivated and its users have been logged out. "
        "Unless it is reactivated, it will be deleted on %(date)s.",
        date=format_day(done["due_at"], "long"),
    )
    if done["invitations"]:
        message += " " + ngettext(
            "%(num)d pending invitation has been revoked.",
            "%(num)d pending invitations have been revoked.",
            done["invitations"],
        )
    flash(message, "success")
    return redirect_to(_tab_url(authority_id))


@bp.post("/<int:authority_id>/authority/reactivate")
@login_required
def reactivate(authority_id):
    authority = _load(authority_id)
    policy.require(policy.may_reactivate_authority(current_user, authority))
    try:
        reactivate_authority(current_user, authority)
        db.session.commit()
    except (Refused, StaleDataError) as error:
        db.session.rollback()
        authority = db.get_or_404(Authority, authority_id)  # gone: deleted meanwhile
        message = error.message() if isinstance(error, Refused) else str(CHANGED_MEANWHILE)
        return _section(authority, status=422, retirement_error=message)
    flash(
        _("The authority is active again. Restore access to the modules it should use on the tab \"Modules\"."),
        "success",
    )
    return redirect_to(_tab_url(authority_id))
