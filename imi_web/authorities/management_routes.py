"""Views of the tab "Management details": access managers (R-3.5) and delegation (R-1.2).

Load the objects (404) → check the policy (403) → act (``refusals.acting``) → respond. What
the tab shows is read by ``management.management_context``.
"""

import sqlalchemy as sa
from flask import redirect, request, url_for
from flask_login import current_user, login_required
from flask_babel import lazy_gettext as _l

from .. import policy
from ..extensions import db
from ..htmx import is_htmx, render
from ..models import Authority, DelegationScope, Module
from ..refusals import Refused, acting
from . import bp
from .forms import NO_DELEGATION, AccessManagerForm
from .loading import load_authority
from .management import add_manager, delegation_form_for, remove_manager, set_delegation
from .tabs import tab_context


def _tab(authority: Authority, status: int = 200, partial: str = "authorities/_tabs.html", **extra):
    return render("authorities/show.html", partial, status=status, **tab_context(authority, "management", **extra))


def _done(authority: Authority):
    """After a change: the tab block for htmx, a redirect to the tab otherwise."""
    if is_htmx():
        return _tab(authority)
    return redirect(url_for("authorities.show", authority_id=authority.id, tab="management"), 303)


def _refused(authority_id: int, partial: str, target: str, **extra):
    """A refusal: the form with its messages (422), the partial for htmx, the page otherwise."""
    response = _tab(db.session.get(Authority, authority_id), status=422, partial=partial, **extra)
    if is_htmx():
        response.headers["HX-Retarget"] = target
        response.headers["HX-Reswap"] = "outerHTML"
    return response


# --- access managers (R-3.5) ----------------------------------------------------------------


@bp.post("/<int:authority_id>/management/managers")
@login_required
def add_access_manager(authority_id):
    authority = load_authority(authority_id)
    policy.require(policy.may_change_access_managers(current_user, authority))
    form = AccessManagerForm()
    if form.validate_on_submit():
        manager = db.session.get(Authority, form.manager.data) if form.manager.data else None
        with acting(form, fallback="manager") as outcome:
            if manager is None:
                raise Refused({"manager": [_l("Choose an authority.")]})
            add_manager(current_user, authority, manager)
        if outcome.done:
            return _done(authority)
    return _refused(authority_id, "authorities/_access_managers.html", "#access-managers", manager_form=form)


@bp.post("/<int:authority_id>/management/managers/<int:manager_id>/remove")
@login_required
def remove_access_manager(authority_id, manager_id):
    authority = load_authority(authority_id)
    manager = db.get_or_404(Authority, manager_id)
    policy.require(policy.may_change_access_managers(current_user, authority))
    with acting() as outcome:
        remove_manager(current_user, authority, manager)
    if outcome.done:
        return _done(authority)
    return _refused(authority_id, "authorities/_access_managers.html", "#access-managers", managers_error=outcome.message())


# --- delegation by the NIMIC (R-1.2) --------------------------------------------------------


@bp.route("/<int:authority_id>/management/delegation", methods=["GET", "POST"])
@login_required
def edit_delegation(authority_id):
    authority = load_authority(authority_id)
    policy.require(policy.may_delegate(current_user, authority))
    if request.method == "GET":
        return _tab(authority, partial="authorities/_delegation_form.html", editing_delegation=True)
    form = delegation_form_for(authority)
    if form.validate_on_submit():
        scope = None if form.scope.data == NO_DELEGATION else DelegationScope(form.scope.data)
        modules = db.session.scalars(sa.select(Module).where(Module.id.in_(form.modules.data or []))).all()
        with acting(form, fallback="scope") as outcome:
            set_delegation(current_user, authority, scope, list(modules))
        if outcome.done:
            return _done(authority)
    return _refused(authority_id, "authorities/_delegation_form.html", "#delegation", delegation_form=form)
