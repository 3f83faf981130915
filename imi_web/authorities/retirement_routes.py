"""Views of retiring an authority on tab "Authority": suspend all modules, deactivate and
reactivate (R-5.1, R-5.4).

Load the objects (404) → check the policy (403) → act (``refusals.acting``) → respond. The
confirmation step is a page of its own (works without JavaScript); htmx swaps just the
section ``#retirement``. Deactivation and reactivation change the whole page (its status),
so they end with a redirect (``HX-Redirect`` for htmx).
"""

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required

from .. import policy
from ..extensions import db
from ..i18n import format_day
from ..htmx import is_htmx, redirect_to, render
from ..models import Authority
from ..refusals import acting
from . import bp
from .retirement import (
    active_module_accesses,
    deactivate_authority,
    reactivate_authority,
    suspend_all_modules,
)
from .loading import load_authority
from .tabs import tab_context

CHANGED_MEANWHILE = _l("Someone else changed this authority meanwhile. Try again.")


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
    authority = load_authority(authority_id)
    policy.require(policy.may_deactivate_authority(current_user, authority))
    before = len(active_module_accesses(authority))
    with acting() as outcome:
        remaining = suspend_all_modules(
            current_user, authority, lambda access: policy.may_manage_module(current_user, authority, access.module)
        )
    if not outcome.done:
        authority = db.session.get(Authority, authority_id)
        return _section(authority, status=422, retirement_error=outcome.message())
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
    authority = load_authority(authority_id)
    policy.require(policy.may_deactivate_authority(current_user, authority))
    if request.method == "GET":
        return _section(authority, confirming=True)
    with acting(meanwhile=CHANGED_MEANWHILE) as outcome:
        done = deactivate_authority(current_user, authority)
    if not outcome.done:
        authority = db.get_or_404(Authority, authority_id)  # gone: deleted meanwhile
        return _section(authority, status=422, retirement_error=outcome.message())
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
    authority = load_authority(authority_id)
    policy.require(policy.may_reactivate_authority(current_user, authority))
    with acting(meanwhile=CHANGED_MEANWHILE) as outcome:
        reactivate_authority(current_user, authority)
    if not outcome.done:
        authority = db.get_or_404(Authority, authority_id)  # gone: deleted meanwhile
        return _section(authority, status=422, retirement_error=outcome.message())
    flash(
        _("The authority is active again. Restore access to the modules it should use on the tab \"Modules\"."),
        "success",
    )
    return redirect_to(_tab_url(authority_id))
