"""Views of the "Users" tab: load (404) → policy (403) → act (``refusals.acting``) → respond.
What the tab shows is read by ``tab.users_context``."""

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from ..choices import active_accesses
from .. import policy
from ..extensions import db
from ..htmx import is_htmx, render
from ..i18n import current_language
from ..loading import load_visible
from ..models import Authority, Module, ModuleRight, User
from ..refusals import acting
from . import bp
from .forms import RegisterUserForm, RightsForm, UsernameForm
from ..second_factor.operations import reset_second_factor as reset_user_second_factor
from .operations import (
    change_username,
    delete_user,
    refuse_deleting_last_administrator,
    register_user,
    reset_password,
    set_rights,
)
from ..authorities.tabs import tab_context


def load_authority(authority_id: int) -> Authority:
    return load_visible(Authority, authority_id, policy.may_manage_users)


def load_user(authority_id: int, user_id: int) -> tuple[Authority, User]:
    authority = load_authority(authority_id)
    user = db.get_or_404(User, user_id)
    if user.authority_id != authority.id:
        abort(404)  # the URL names the authority; nothing in a form can name another
    return authority, user


def active_modules(authority: Authority) -> list[Module]:
    return [access.module for access in active_accesses(authority, rights=True)]


def editable_modules(authority: Authority) -> list[Module]:
    return [m for m in active_modules(authority) if policy.may_assign_rights(current_user, authority, m)]


def fill_rights_choices(form, authority: Authority) -> list[Module]:
    lang = current_language()
    modules = editable_modules(authority)
    form.rights.choices = [SelectChoice(r.id, r.name(lang)) for m in modules for r in m.rights]
    return modules


def chosen_rights(form) -> list[ModuleRight]:
    ids = form.rights.data or []
    return list(db.session.scalars(sa.select(ModuleRight).where(ModuleRight.id.in_(ids)))) if ids else []


def tab(authority: Authority, status=200, **extra):
    """The "Users" tab: the whole page, or for htmx the tab block."""
    return render("authorities/show.html", "authorities/_tabs.html", status=status, **tab_context(authority, "users", **extra))


def row(authority: Authority, user: User, status=200, **extra):
    """One user's row (or its form) for htmx; the whole tab otherwise."""
    context = tab_context(authority, "users", **extra)
    return render("authorities/show.html", "users/_user_row.html", status=status, user=user, **context)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create(authority_id):
    authority = load_authority(authority_id)
    form = RegisterUserForm()
    modules = fill_rights_choices(form, authority)
    if form.validate_on_submit():
        with acting(form, fallback="is_admin") as outcome:
            user, _password = register_user(
                authority,
                actor=current_user,
                first_name=form.first_name.data,
                surname=form.surname.data,
                email=form.email.data,
                phone=form.phone.data or "",
                language=form.language.data,
                is_admin=form.is_admin.data,
            )
            set_rights(current_user, user, is_admin=form.is_admin.data, rights=chosen_rights(form), editable_modules=modules)
        if outcome.done:
            message = _(
                "The user is registered. The username is %(username)s. Tell it to the user yourself: "
                "it is never sent by e-mail. The temporary password has been sent to %(email)s.",
                username=user.username,
                email=user.email,
            )
            if is_htmx():
                return tab(authority, notice=message)
            flash(message, "username")
            return redirect(url_for("authorities.show", authority_id=authority.id, tab="users"), 303)
    status = 422 if request.method == "POST" else 200
    response = render(
        "users/create.html", "users/_create_form.html", status=status, form=form, modules=modules, authority=authority
    )
    if status == 422 and is_htmx():
        response.headers["HX-Retarget"] = "#new-user"
        response.headers["HX-Reswap"] = "outerHTML"
    return response


@bp.get("/<int:user_id>")
@login_required
def show(authority_id, user_id):
    authority, user = load_user(authority_id, user_id)
    if not is_htmx():
        return redirect(url_for("authorities.show", authority_id=authority.id, tab="users"))
    return row(authority, user)


@bp.route("/<int:user_id>/rights", methods=["GET", "POST"])
@login_required
def update_rights(authority_id, user_id):
    authority, user = load_user(authority_id, user_id)
    form = RightsForm(
        data=None if request.method == "POST" else {"is_admin": user.is_admin, "rights": [r.id for r in user.module_rights]}
    )
    modules = fill_rights_choices(form, authority)
    if form.validate_on_submit():
        with acting(form, fallback="is_admin") as outcome:
            set_rights(current_user, user, is_admin=form.is_admin.data, rights=chosen_rights(form), editable_modules=modules)
        if outcome.done:
            if not is_htmx():
                return redirect(url_for("authorities.show", authority_id=authority.id, tab="users"), 303)
            return row(authority, user)
        user = db.session.get(User, user_id)
    status = 422 if request.method == "POST" else 200
    return row(authority, user, status=status, editing=("rights", user.id), form=form, modules=modules)


@bp.route("/<int:user_id>/username", methods=["GET", "POST"])
@login_required
def rename(authority_id, user_id):
    authority, user = load_user(authority_id, user_id)
    form = UsernameForm(data=None if request.method == "POST" else {"username": user.username})
    if form.validate_on_submit():
        with acting(form, fallback="username") as outcome:
            change_username(current_user, user, form.username.data)
        if outcome.done:
            if not is_htmx():
                flash(_("The new username is %(username)s. Tell it to the user yourself.", username=user.username), "username")
                return redirect(url_for("authorities.show", authority_id=authority.id, tab="users"), 303)
            return row(authority, user)
        user = db.session.get(User, user_id)
    status = 422 if request.method == "POST" else 200
    return row(authority, user, status=status, editing=("username", user.id), form=form)


def confirm_or_act(authority, user, kind: str, operation, done_message: str, precheck=None):
    """GET: a confirmation page (unless ``precheck`` refuses already). POST: the operation, then
    the tab (or its row)."""
    with acting(commit=request.method == "POST") as outcome:
        if request.method == "GET":
            if precheck:
                precheck(user)
        else:
            operation(current_user, user)
    if outcome.done and request.method == "GET":
        return render("users/confirm.html", "users/_confirm.html", authority=authority, user=user, kind=kind)
    if not outcome.done:
        if is_htmx():
            return tab(db.session.get(Authority, authority.id), status=422, error=outcome.message())
        flash(outcome.message(), "error")
        return redirect(url_for("authorities.show", authority_id=authority.id, tab="users"), 303)
    if is_htmx():
        return tab(authority, notice=done_message)
    flash(done_message, "success")
    return redirect(url_for("authorities.show", authority_id=authority.id, tab="users"), 303)


@bp.route("/<int:user_id>/reset-password", methods=["GET", "POST"])
@login_required
def reset(authority_id, user_id):
    authority, user = load_user(authority_id, user_id)
    done = _("A new temporary password has been sent to %(name)s by e-mail.", name=user.full_name)
    return confirm_or_act(authority, user, "reset", reset_password, done)


@bp.route("/<int:user_id>/reset-second-factor", methods=["GET", "POST"])
@login_required
def reset_second_factor(authority_id, user_id):
    authority, user = load_user(authority_id, user_id)  # who: load_user; a second factor: the operation
    done = _("The second factor of %(name)s has been reset; they have been told by e-mail.", name=user.full_name)
    return confirm_or_act(authority, user, "second_factor", reset_user_second_factor, done)


@bp.route("/<int:user_id>/delete", methods=["GET", "POST"])
@login_required
def delete(authority_id, user_id):
    authority, user = load_user(authority_id, user_id)
    done = _("%(name)s has been deleted.", name=user.full_name)
    precheck = lambda user: refuse_deleting_last_administrator(user, lock=False)  # noqa: E731
    return confirm_or_act(authority, user, "delete", delete_user, done, precheck=precheck)
