"""Views: load the objects (404) → check the policy (403) → call an operation → commit once."""

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError
from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import SelectChoice

from .. import policy
from ..extensions import db
from ..inputs import db_int
from ..htmx import is_htmx, render
from ..models import (
    Authority,
    AuthorityStatus,
    Module,
    ModuleAccess,
    ModuleRole,
    fold,
)
from . import bp
from ..refusals import Refused, apply_to_form
from ..templating import history_value
from .duplicates import DUPLICATE_REASONS, find_duplicates
from .loading import general_classification_choices, language, load_access, load_authority
from .tabs import EDIT_MODE, TABS, edit_mode, history_context, start_editing, tab_context
from .search import Criteria, search_managed
from .forms import (
    EditAuthorityForm,
    GrantModuleForm,
    ModuleAccessForm,
    RegisterAuthorityForm,
    authority_data,
    chosen_classification,
    first_user_data,
)
from .operations import (
    AUTHORITY_FIELDS,
    CONFLICT,
    SETTINGS,
    grant_module_access,
    linked_coordinator_choices,
    register_authority,
    restore_module_access,
    suspend_module_access,
    update_authority,
    update_module_access,
)




# --- "Managed authorities" (R-3.0, R-4.2) ---------------------------------------------------


_MODULE_CHOICES = sa.select(Module.id, Module.code, Module.name_lv, Module.name_en).order_by(Module.code)


@bp.get("/")
@login_required
def index():
    user = policy.acting_user()
    policy.require(policy.may_search_managed(user))
    criteria = Criteria.from_args(request.args)
    results = search_managed(user, criteria)
    lang = language()
    context = dict(
        criteria=criteria,
        results=results,
        lang=lang,
        status_labels={status.value: history_value(status.value) for status in AuthorityStatus},
        grant_module=None,
    )
    if criteria.without_module:
        # grant the new module straight from the results, where the policy allows.
        module = db.session.get(Module, criteria.without_module)
        if module is not None and policy.may_grant_from_results(user, module):
            context["grant_module"] = module
            context["grant_to"] = {row.id for row in results.rows if policy.may_grant_to_result(user, module, row)}
    if not is_htmx():  # the search form: only the full page shows it
        modules = db.session.connection().execute(_MODULE_CHOICES).all()
        context.update(
            modules=[(m.id, f"{m.code} — {m.name_lv if lang == 'lv' else m.name_en}") for m in modules],
            classification=[(c.value, c.label) for c in general_classification_choices(lang)],
        )
    return render("authorities/index.html", "authorities/_results.html", **context)


# --- registering an authority (R-2.0, R-2.1.1–) -----------------------------



def duplicate_fingerprint(form) -> str:
    return "|".join(fold(v or "").strip() for v in (form.official_name.data, form.informal_name.data, form.email.data, form.website.data))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    policy.require(policy.may_register_authority(current_user))
    form = RegisterAuthorityForm()
    form.classification.choices = general_classification_choices()
    duplicates = []
    if form.validate_on_submit():
        fingerprint = duplicate_fingerprint(form)
        if form.not_a_duplicate.data != fingerprint:
            duplicates = find_duplicates(
                current_user.authority.country_id,
                official_name=form.official_name.data,
                informal_name=form.informal_name.data,
                email=form.email.data,
                website=form.website.data,
            )
        if duplicates:
            form.not_a_duplicate.data = fingerprint
        else:
            entries = chosen_classification(form)
            authority, user = register_authority(
                current_user,
                data=authority_data(form),
                classification_entries=entries,
                first_user=first_user_data(form),
            )
            db.session.commit()
            flash(
                _(
                    "The authority is registered. The username of its first user is %(username)s. "
                    "Tell it to the user yourself: it is never sent by e-mail. The temporary password "
                    "has been sent to %(email)s.",
                    username=user.username,
                    email=user.email,
                ),
                "username",
            )
            start_editing(authority)  # step 2: grant modules straight away
            return redirect(url_for("authorities.show", authority_id=authority.id, tab="modules"), 303)
    status = 422 if request.method == "POST" and form.errors else 200
    return (
        render_template(
            "authorities/create.html", form=form, duplicates=duplicates, duplicate_reasons=DUPLICATE_REASONS
        ),
        status,
    )


# --- the details tabs (R-3.1) -------------------------------------------------------------


@bp.get("/<int:authority_id>")
@login_required
def detail(authority_id):
    load_authority(authority_id)
    return redirect(url_for("authorities.show", authority_id=authority_id, tab="authority"))



@bp.app_context_processor
def _edit_mode():
    return {"edit_mode": edit_mode}


@bp.post("/<int:authority_id>/finish-editing")
@login_required
def finish_editing(authority_id):
    authority = load_authority(authority_id)
    if session.get(EDIT_MODE) == authority.id:
        session.pop(EDIT_MODE)
    tab = request.form.get("tab") if request.form.get("tab") in TABS else "authority"
    if is_htmx():
        return render("authorities/show.html", "authorities/_tabs.html", **tab_context(authority, tab))
    return redirect(url_for("authorities.show", authority_id=authority.id, tab=tab), 303)


@bp.get("/<int:authority_id>/management/history")
@login_required
def history(authority_id):
    """The history section alone, for paging with htmx; the page itself is the tab."""
    authority = load_authority(authority_id)
    if not is_htmx():
        return redirect(url_for("authorities.show", authority_id=authority.id, tab="management", **request.args), 303)
    return render_template("authorities/_history.html", authority=authority, **history_context(authority))



@bp.get("/<int:authority_id>/<any(authority, classification, modules, users, management):tab>")
@login_required
def show(authority_id, tab):
    authority = load_authority(authority_id)
    return render("authorities/show.html", "authorities/_tabs.html", **tab_context(authority, tab))


# --- editing the authority (R-3.2) ---------------------------------------------------------


@bp.route("/<int:authority_id>/authority/edit", methods=["GET", "POST"])
@login_required
def edit(authority_id):
    authority = load_authority(authority_id)
    policy.require(policy.may_edit_authority(current_user, authority))
    start_editing(authority)
    if request.method == "POST":
        form = EditAuthorityForm()
    else:
        form = EditAuthorityForm(
            data={
                **{field: getattr(authority, field) for field in AUTHORITY_FIELDS},
                "classification": [entry.id for entry in authority.classification_entries],
                "version": authority.version,
            }
        )
    form.classification.choices = general_classification_choices()
    if form.validate_on_submit():
        entries = chosen_classification(form)
        try:
            expected = db_int(form.version.data, default=0)
            update_authority(
                current_user,
                authority,
                data=authority_data(form),
                classification_entries=entries,
                expected_version=expected,
            )
            db.session.commit()
        except (Refused, ValueError, StaleDataError):
            # Someone else saved in between (checked here, or by the version in the UPDATE).
            db.session.rollback()
            form.version.errors = [str(CONFLICT)]
        else:
            saved = _("The authority's details have been saved.")
            if is_htmx():
                return render(
                    "authorities/show.html",
                    "authorities/_tabs.html",
                    **tab_context(authority, "authority", confirmation=saved),
                )
            flash(saved, "success")
            return redirect(url_for("authorities.show", authority_id=authority.id, tab="authority"), 303)
        authority = db.session.get(Authority, authority_id)
    status = 422 if request.method == "POST" else 200
    response = render(
        "authorities/show.html",
        "authorities/_authority_form.html",
        status=status,
        form=form,
        **tab_context(authority, "authority", editing=True),
    )
    if status == 422 and is_htmx():
        response.headers["HX-Retarget"] = "#tab-panel"
        response.headers["HX-Reswap"] = "innerHTML"
    return response


# --- module access (R-2.1.4, R-2.1.5, R-3.3, R-3.4) ---------------------------------------


def fill_terms_choices(form, authority: Authority, module: Module | None):
    lang = language()
    entries = module.classification_list.entries if module and module.classification_list else []
    form.classification.choices = [SelectChoice(entry.id, entry.name(lang)) for entry in entries]
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
    form.module.choices = [SelectChoice(m.id, f"{m.code} — {m.name(language())}") for m in grantable]
    chosen = module_id or form.module.data or grantable[0].id
    if not any(m.id == chosen for m in grantable):
        abort(403)  # a module outside the delegation, or already granted
    module = db.session.get(Module, chosen)
    form.module.data = module.id
    if request.method == "GET" and not form.role.data:
        form.role.data = ModuleRole.AUTHORITY.value
    fill_terms_choices(form, authority, module)
    return form, module


@bp.get("/<int:authority_id>/modules/new")
@login_required
def new_module_access(authority_id):
    authority = load_authority(authority_id)
    policy.require(policy.may_grant_modules(current_user, authority))
    context = tab_context(authority, "modules", granting=True)
    form, module = grant_form_for(authority, db_int(request.args.get("module")), context["grantable"])
    return render("authorities/show.html", "authorities/_grant_form.html", form=form, module=module, **context)


@bp.post("/<int:authority_id>/modules")
@login_required
def grant_module(authority_id):
    authority = load_authority(authority_id)
    policy.require(policy.may_grant_modules(current_user, authority))
    context = tab_context(authority, "modules", granting=True)
    form, module = grant_form_for(authority, None, context["grantable"])
    policy.require(policy.may_grant_module(current_user, authority, module))
    if form.validate_on_submit():
        try:
            grant_module_access(current_user, authority, module, **terms_from(form, module))
        except Refused as refused:
            db.session.rollback()
            apply_to_form(form, refused, fallback="role")
        else:
            db.session.commit()
            granted = _("Access to module %(module)s has been granted.", module=module.code)
            tab_url = url_for("authorities.show", authority_id=authority.id, tab="modules")
            if is_htmx():
                response = render(
                    "authorities/show.html",
                    "authorities/_tabs.html",
                    **tab_context(authority, "modules", confirmation=granted),
                )
                response.headers["HX-Trigger"] = "moduleAccessChanged"
                # The address is the tab's again, not the grant form's (a reload would refuse).
                response.headers["HX-Replace-Url"] = tab_url
                return response
            flash(granted, "success")
            return redirect(tab_url, 303)
    response = render(
        "authorities/show.html", "authorities/_grant_form.html", status=422, form=form, module=module, **context
    )
    if is_htmx():
        response.headers["HX-Retarget"] = "#grant-form"
        response.headers["HX-Reswap"] = "outerHTML"
    return response


def render_row(access: ModuleAccess, status=200, form=None, error=None, notice=None, confirming=False):
    """The row (or its edit form) for htmx; the whole modules tab otherwise. The row is the
    tab's (``module_tab.AccessRow``); the edit form gets the access itself."""
    context = tab_context(access.authority, "modules", editing=access.id if form is not None else None)
    if form is None:
        partial = "authorities/_module_row.html"
        access = next((row for row in context["accesses"] if row.id == access.id), None)
        if access is None:  # gone meanwhile (the authority purged)
            abort(404)
    else:
        partial = "authorities/_module_form.html"
    return render(
        "authorities/show.html",
        partial,
        status=status,
        access=access,
        form=form,
        row_error=error,
        row_notice=notice,
        confirming_suspension=access.id if confirming else None,
        **context,
    )


@bp.get("/<int:authority_id>/modules/<int:access_id>")
@login_required
def module_row(authority_id, access_id):
    authority = load_authority(authority_id)
    access = db.get_or_404(ModuleAccess, access_id)
    if access.authority_id != authority.id:
        abort(404)
    if not is_htmx():
        return redirect(url_for("authorities.show", authority_id=authority_id, tab="modules"))
    return render_row(access)


@bp.route("/<int:authority_id>/modules/<int:access_id>/edit", methods=["GET", "POST"])
@login_required
def edit_module(authority_id, access_id):
    access = load_access(authority_id, access_id)
    form = ModuleAccessForm(obj=None if request.method == "POST" else access_form_data(access))
    fill_terms_choices(form, access.authority, access.module)
    if form.validate_on_submit():
        try:
            update_module_access(current_user, access, **terms_from(form, access.module))
            db.session.flush()
        except Refused as refused:
            db.session.rollback()
            apply_to_form(form, refused, fallback="role")
        else:
            db.session.commit()
            saved = _("The changes to module %(module)s have been saved.", module=access.module.code)
            if not is_htmx():
                flash(saved, "success")
                return redirect(url_for("authorities.show", authority_id=authority_id, tab="modules"), 303)
            response = render_row(access, notice=saved)
            response.headers["HX-Trigger"] = "moduleAccessChanged"
            return response
        access = db.session.get(ModuleAccess, access_id)
    status = 422 if request.method == "POST" else 200
    return render_row(access, status=status, form=form)


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


def _change_status(authority_id, access_id, operation, done: str):
    access = load_access(authority_id, access_id)
    error = None
    try:
        operation(current_user, access)
    except Refused as refused:
        db.session.rollback()
        access = db.session.get(ModuleAccess, access_id)
        error = refused.message()
    else:
        db.session.commit()
    notice = None if error else done % {"module": access.module.code}
    if not is_htmx():
        flash(error or notice, "error" if error else "success")
        return redirect(url_for("authorities.show", authority_id=authority_id, tab="modules"), 303)
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
