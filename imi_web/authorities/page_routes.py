"""The authority's page (R-3.1): its tabs, each a URL of its own, the "Edit authority" mode
and editing the authority's details (R-3.2), and the paged update history of "Management
details". What each tab shows is read by ``tabs.tab_context``."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import policy
from ..choices import general_classification_choices
from ..extensions import db
from ..htmx import is_htmx, render
from ..inputs import db_int
from ..models import Authority
from ..refusals import acting
from . import bp
from .forms import EditAuthorityForm, authority_data, chosen_classification
from .loading import load_authority
from .management import history_context
from .operations import AUTHORITY_FIELDS, CONFLICT, update_authority
from .tabs import TABS, finish_editing as leave_edit_mode, start_editing, tab_context


def tabs_response(authority: Authority, tab: str, **extra):
    """The tab as a page, or for htmx the tab block."""
    return render("authorities/show.html", "authorities/_tabs.html", **tab_context(authority, tab, **extra))


@bp.get("/<int:authority_id>")
@login_required
def detail(authority_id):
    load_authority(authority_id)
    return redirect(url_for("authorities.show", authority_id=authority_id, tab="authority"))


@bp.get("/<int:authority_id>/<any(authority, classification, modules, users, management):tab>")
@login_required
def show(authority_id, tab):
    authority = load_authority(authority_id)
    return tabs_response(authority, tab)


@bp.post("/<int:authority_id>/finish-editing")
@login_required
def finish_editing(authority_id):
    authority = load_authority(authority_id)
    leave_edit_mode(authority)
    tab = request.form.get("tab") if request.form.get("tab") in TABS else "authority"
    if is_htmx():
        return tabs_response(authority, tab)
    return redirect(url_for("authorities.show", authority_id=authority.id, tab=tab), 303)


@bp.get("/<int:authority_id>/management/history")
@login_required
def history(authority_id):
    """The history section alone, for paging with htmx; the page itself is the tab."""
    authority = load_authority(authority_id)
    if not is_htmx():
        return redirect(url_for("authorities.show", authority_id=authority.id, tab="management", **request.args), 303)
    return render_template("authorities/_history.html", authority=authority, **history_context(authority))


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
        # Someone else saved in between: checked by the operation, or by the version in the UPDATE.
        with acting(form, fallback="version", meanwhile=CONFLICT) as outcome:
            update_authority(
                current_user,
                authority,
                data=authority_data(form),
                classification_entries=chosen_classification(form),
                expected_version=db_int(form.version.data, default=0),
            )
        if outcome.done:
            saved = _("The authority's details have been saved.")
            if is_htmx():
                return tabs_response(authority, "authority", confirmation=saved)
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
