"""Views of the tab "Management details": access managers (R-3.5) and delegation (R-1.2).

Load the objects (404) → check the policy (403) → call an operation → commit once.
"""

import sqlalchemy as sa
from flask import redirect, request, url_for
from flask_login import current_user, login_required
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

from .. import policy
from ..extensions import db
from ..htmx import is_htmx, render
from ..models import Authority, DelegationScope, Module
from ..refusals import Refused, apply_to_form
from . import bp
from .forms import NO_DELEGATION, AccessManagerForm, DelegationForm
from .management import add_manager, manager_candidates, remove_manager, set_delegation
from .loading import language, load_authority
from .tabs import tab_context

# --- what the tab shows (every view of the tab, page or partial alike) ----------------------


def management_details(
    authority: Authority, manager_form=None, delegation_form=None, editing_delegation=False, unlocked=False
):
    """The parts of the tab that depend on the current user's rights, decided by the policy.

    The add-manager form (and its query of candidates) only where the managers are ``unlocked``
    for changes (edit mode, or a form being answered); the delegation form only when asked for.
    """
    may_change = policy.may_change_access_managers(current_user, authority)
    may_delegate = policy.may_delegate(current_user, authority)
    details = {"may_change_managers": may_change, "may_delegate": may_delegate, "manager_form": None}
    if may_change and unlocked:
        manager_form = manager_form or AccessManagerForm(formdata=None)
        manager_form.manager.choices = [SelectChoice(a.id, a.official_name) for a in manager_candidates(authority)]
        details["manager_form"] = manager_form
    if may_delegate and (editing_delegation or delegation_form is not None):
        details["delegation_form"] = delegation_form or delegation_form_for(authority, formdata=None)
    return details


@bp.context_processor
def _management_details():
    return {"management_details": management_details}


def delegation_form_for(authority: Authority, **kw) -> DelegationForm:
    form = DelegationForm(**kw)
    form.modules.choices = [
        SelectChoice(m.id, f"{m.code} — {m.name(_language())}") for m in db.session.scalars(sa.select(Module).order_by(Module.code))
    ]
    if kw.get("formdata", True) is None:
        scope = authority.access_manager_scope
        form.scope.data = scope.value if scope else NO_DELEGATION
        form.modules.data = [m.id for m in authority.delegated_modules]
    return form


def _language() -> str:
    return language()


def _tab(authority: Authority, status: int = 200, partial: str = "authorities/_tabs.html", **extra):
    return render("authorities/show.html", partial, status=status, **tab_context(authority, "management", **extra))


def _done(authority: Authority):
    """After a change: the tab block for htmx, a redirect to the tab otherwise."""
    if is_htmx():
        return _tab(authority)
    return redirect(url_for("authorities.show", authority_id=authority.id, tab="management"), 303)


def _refused(authority: Authority, partial: str, target: str, **extra):
    """A refusal: the form with its messages (422), the partial for htmx, the page otherwise."""
    response = _tab(authority, status=422, partial=partial, **extra)
    if is_htmx():
        response.headers["HX-Retarget"] = target
        response.headers["HX-Reswap"] = "outerHTML"
    return response


def _load(authority_id: int) -> Authority:
    return load_authority(authority_id)


# --- access managers (R-3.5) ----------------------------------------------------------------


@bp.post("/<int:authority_id>/management/managers")
@login_required
def add_access_manager(authority_id):
    authority = _load(authority_id)
    policy.require(policy.may_change_access_managers(current_user, authority))
    form = AccessManagerForm()
    if form.validate_on_submit():
        manager = db.session.get(Authority, form.manager.data) if form.manager.data else None
        try:
            if manager is None:
                raise Refused({"manager": [_l("Choose an authority.")]})
            add_manager(current_user, authority, manager)
        except Refused as refused:
            db.session.rollback()
            apply_to_form(form, refused, fallback="manager")
        else:
            db.session.commit()
            return _done(authority)
    authority = db.session.get(Authority, authority_id)
    return _refused(authority, "authorities/_access_managers.html", "#access-managers", manager_form=form)


@bp.post("/<int:authority_id>/management/managers/<int:manager_id>/remove")
@login_required
def remove_access_manager(authority_id, manager_id):
    authority = _load(authority_id)
    manager = db.get_or_404(Authority, manager_id)
    policy.require(policy.may_change_access_managers(current_user, authority))
    try:
        remove_manager(current_user, authority, manager)
    except Refused as refused:
        db.session.rollback()
        authority = db.session.get(Authority, authority_id)
        return _refused(authority, "authorities/_access_managers.html", "#access-managers", managers_error=refused.message())
    db.session.commit()
    return _done(authority)


# --- delegation by the NIMIC (R-1.2) --------------------------------------------------------


@bp.route("/<int:authority_id>/management/delegation", methods=["GET", "POST"])
@login_required
def edit_delegation(authority_id):
    authority = _load(authority_id)
    policy.require(policy.may_delegate(current_user, authority))
    if request.method == "GET":
        return _tab(authority, partial="authorities/_delegation_form.html", editing_delegation=True)
    form = delegation_form_for(authority)
    if form.validate_on_submit():
        scope = None if form.scope.data == NO_DELEGATION else DelegationScope(form.scope.data)
        modules = db.session.scalars(sa.select(Module).where(Module.id.in_(form.modules.data or []))).all()
        try:
            set_delegation(current_user, authority, scope, list(modules))
        except Refused as refused:
            db.session.rollback()
            apply_to_form(form, refused, fallback="scope")
        else:
            db.session.commit()
            return _done(authority)
    authority = db.session.get(Authority, authority_id)
    return _refused(authority, "authorities/_delegation_form.html", "#delegation", delegation_form=form)
