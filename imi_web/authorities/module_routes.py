"""Module access on the tab "Modules" (R-2.1.4, R-2.1.5, R-3.3, R-3.4): grant, the inline
edit of one access, suspend and restore. A row is read on its own (``module_tab.access_row``)
when it is put back after a change."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import SelectChoice

from .. import policy
from ..extensions import db
from ..choices import entry_select, module_select
from ..htmx import is_htmx, render
from ..inputs import db_int
from ..models import Authority, Module, ModuleAccess, ModuleRole
from ..refusals import acting
from . import bp
from .forms import GrantModuleForm, ModuleAccessForm, chosen_classification
from .loading import load_access, load_authority
from .module_tab import access_row
from .operations import (
    SETTINGS,
    grant_module_access,
    linked_coordinator_choices,
    restore_module_access,
    suspend_module_access,
    update_module_access,
)
from .tabs import base_context, tab_context


def fill_terms_choices(form, authority: Authority, module: Module | None):
    entries = module.classification_list.entries if module and module.classification_list else []
    form.classification.choices = entry_select(entries)
    coordinators = linked_coordinator_choices(module, authority) if module else []
    form.linked_coordinator.choices = [SelectChoice(0, _("— none —"))] + [
        SelectChoice(c.id, c.official_name) for c in coordinators
    ]


def terms_from(form, module: Module) -> dict:
    entries = chosen_classification(form)
    coordinator = db.session.get(Authority, form.linked_coordinator.data) if form.linked_coordinator.data else None
    return {
        "role": ModuleRole(form.role.data),
        "classification_entries": entries,
        "linked_coordinator": coordinator,
        "settings": {name: getattr(form, name).data for name in SETTINGS},
    }


def grant_form_for(authority: Authority, module_id: int | None, grantable: list):
    """The grant form for one of ``grantable`` (the tab's modules the user may grant) and
    that module, loaded for the operation."""
    if not grantable:
        abort(403)
    form = GrantModuleForm()
    form.module.choices = module_select(grantable)
    chosen = module_id or form.module.data or grantable[0].id
    if not any(m.id == chosen for m in grantable):
        abort(403)  # a module outside the delegation, or already granted
    module = db.session.get(Module, chosen)
    form.module.data = module.id
    if request.method == "GET" and not form.role.data:
        form.role.data = ModuleRole.AUTHORITY.value
    fill_terms_choices(form, authority, module)
    return form, module


def tab_url(authority_id: int) -> str:
    return url_for("authorities.show", authority_id=authority_id, tab="modules")


# --- granting (R-2.1.4, R-3.3) ----------------------------------------------------------------


def granting(authority_id: int, module_id: int | None):
    """Load the authority (404), check that the user may grant (403), and read the tab with
    the grant form for the chosen module."""
    authority = load_authority(authority_id)
    policy.require(policy.may_grant_modules(current_user, authority))
    context = tab_context(authority, "modules", granting=True)
    form, module = grant_form_for(authority, module_id, context["grantable"])
    return authority, context, form, module


@bp.get("/<int:authority_id>/modules/new")
@login_required
def new_module_access(authority_id):
    _authority, context, form, module = granting(authority_id, db_int(request.args.get("module")))
    return render("authorities/show.html", "authorities/_grant_form.html", form=form, module=module, **context)


@bp.post("/<int:authority_id>/modules")
@login_required
def grant_module(authority_id):
    authority, context, form, module = granting(authority_id, None)
    policy.require(policy.may_grant_module(current_user, authority, module))
    if form.validate_on_submit():
        with acting(form, fallback="role") as outcome:
            grant_module_access(current_user, authority, module, **terms_from(form, module))
        if outcome.done:
            granted = _("Access to module %(module)s has been granted.", module=module.code)
            if is_htmx():
                response = render(
                    "authorities/show.html",
                    "authorities/_tabs.html",
                    **tab_context(authority, "modules", confirmation=granted),
                )
                response.headers["HX-Trigger"] = "moduleAccessChanged"
                # The address is the tab's again, not the grant form's (a reload would refuse).
                response.headers["HX-Replace-Url"] = tab_url(authority.id)
                return response
            flash(granted, "success")
            return redirect(tab_url(authority.id), 303)
    response = render(
        "authorities/show.html", "authorities/_grant_form.html", status=422, form=form, module=module, **context
    )
    if is_htmx():
        response.headers["HX-Retarget"] = "#grant-form"
        response.headers["HX-Reswap"] = "outerHTML"
    return response


# --- one access: its row, the inline edit, suspend and restore (R-3.4) -------------------------


def render_row(access: ModuleAccess, status=200, form=None, error=None, notice=None, confirming=False):
    """For htmx, the row (read on its own) or its edit form (with the access itself); the whole
    modules tab otherwise."""
    authority = access.authority
    extra = {
        "form": form,
        "row_error": error,
        "row_notice": notice,
        "confirming_suspension": access.id if confirming else None,
    }
    partial = "authorities/_module_row.html" if form is None else "authorities/_module_form.html"
    if not is_htmx():
        context = tab_context(authority, "modules", editing=access.id if form is not None else None, **extra)
        return render("authorities/show.html", partial, status=status, access=access, **context)
    if form is None:
        access = access_row(authority, access.id)
        if access is None:  # gone meanwhile (the authority purged)
            abort(404)
    return render("authorities/show.html", partial, status=status, access=access, **base_context(authority, "modules", **extra))


@bp.get("/<int:authority_id>/modules/<int:access_id>")
@login_required
def module_row(authority_id, access_id):
    authority = load_authority(authority_id)
    access = db.get_or_404(ModuleAccess, access_id)
    if access.authority_id != authority.id:
        abort(404)
    if not is_htmx():
        return redirect(tab_url(authority_id))
    return render_row(access)


class _FormData:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def access_form_data(access: ModuleAccess):
    return _FormData(
        role=access.role.value,
        classification=[entry.id for entry in access.classification_entries],
        linked_coordinator=access.linked_coordinator_id or 0,
        **{name: bool(getattr(access, name)) for name in SETTINGS},
    )


@bp.route("/<int:authority_id>/modules/<int:access_id>/edit", methods=["GET", "POST"])
@login_required
def edit_module(authority_id, access_id):
    access = load_access(authority_id, access_id)
    form = ModuleAccessForm(obj=None if request.method == "POST" else access_form_data(access))
    fill_terms_choices(form, access.authority, access.module)
    if form.validate_on_submit():
        with acting(form, fallback="role") as outcome:
            update_module_access(current_user, access, **terms_from(form, access.module))
        if outcome.done:
            saved = _("The changes to module %(module)s have been saved.", module=access.module.code)
            if not is_htmx():
                flash(saved, "success")
                return redirect(tab_url(authority_id), 303)
            response = render_row(access, notice=saved)
            response.headers["HX-Trigger"] = "moduleAccessChanged"
            return response
        access = db.session.get(ModuleAccess, access_id)
    status = 422 if request.method == "POST" else 200
    return render_row(access, status=status, form=form)


def _change_status(authority_id, access_id, operation, done: str):
    access = load_access(authority_id, access_id)
    with acting() as outcome:
        operation(current_user, access)
    if not outcome.done:
        access = db.session.get(ModuleAccess, access_id)
    error = outcome.message() or None
    notice = None if error else done % {"module": access.module.code}
    if not is_htmx():
        flash(error or notice, "error" if error else "success")
        return redirect(tab_url(authority_id), 303)
    response = render_row(access, status=422 if error else 200, error=error, notice=notice)
    if not error:
        response.headers["HX-Trigger"] = "moduleAccessChanged"
    return response


@bp.route("/<int:authority_id>/modules/<int:access_id>/suspend", methods=["GET", "POST"])
@login_required
def suspend_module(authority_id, access_id):
    """GET asks for confirmation in the row (or on the tab without JavaScript); POST suspends."""
    if request.method == "GET":
        access = load_access(authority_id, access_id)
        return render_row(access, confirming=True)
    return _change_status(
        authority_id, access_id, suspend_module_access, _l("Access to module %(module)s has been suspended.")
    )


@bp.post("/<int:authority_id>/modules/<int:access_id>/restore")
@login_required
def restore_module(authority_id, access_id):
    return _change_status(
        authority_id, access_id, restore_module_access, _l("Access to module %(module)s has been restored.")
    )
