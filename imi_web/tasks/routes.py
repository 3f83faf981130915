"""Menu "My tasks" → "For validation" (R-2.2.4, R-2.2.5).

Views: load the registration (404) → check the policy (403) → act (``refusals.acting``) → respond.
"""

import sqlalchemy as sa
from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import policy
from ..authorities.forms import authority_data, chosen_classification, first_user_data
from ..authorities.operations import AUTHORITY_FIELDS, CONFLICT
from ..authorities.duplicates import find_duplicates
from ..authorities.duplicates import DUPLICATE_REASONS
from ..choices import general_classification_choices
from ..authorities.tabs import start_editing
from ..extensions import db
from ..inputs import db_int
from ..htmx import redirect_to, render
from ..models import Invitation
from ..refusals import acting
from . import bp
from .forms import CorrectRegistrationForm, RejectForm
from .operations import (
    awaiting_validation,
    correct_registration,
    first_user,
    reject_registration,
    validate_registration,
)


def load_registration(authority_id: int) -> Invitation:
    invitation = db.first_or_404(sa.select(Invitation).where(Invitation.authority_id == authority_id))
    policy.require_visible(policy.may_validate(current_user, invitation))
    return invitation


@bp.get("/")
@login_required
def index():
    policy.require(policy.may_view_registrations(current_user))
    return render(
        "validation/index.html",
        "validation/_list.html",
        registrations=awaiting_validation(current_user.authority),
    )


def form_data(invitation: Invitation) -> dict:
    authority = invitation.authority
    user = first_user(authority)
    data = {field: getattr(authority, field) for field in AUTHORITY_FIELDS}
    data["classification"] = [entry.id for entry in authority.classification_entries]
    data["version"] = authority.version
    if user is not None:
        data.update(
            first_name=user.first_name,
            surname=user.surname,
            user_email=user.email,
            user_phone=user.phone,
            user_language=user.language,
        )
    return data


def review(invitation: Invitation, form, reject_form, status=200):
    authority = invitation.authority
    awaiting = policy.may_decide_registration(current_user, invitation)
    duplicates = []
    if awaiting:
        duplicates = find_duplicates(
            authority.country_id,
            official_name=authority.official_name,
            informal_name=authority.informal_name,
            email=authority.email,
            website=authority.website,
            exclude_id=authority.id,
        )
    return render(
        "validation/show.html",
        "validation/_review.html",
        status=status,
        invitation=invitation,
        authority=authority,
        user=first_user(authority),
        awaiting=awaiting,
        form=form,
        reject_form=reject_form,
        duplicates=duplicates,
        duplicate_reasons=DUPLICATE_REASONS,
    )


@bp.route("/<int:authority_id>", methods=["GET", "POST"])
@login_required
def show(authority_id):
    invitation = load_registration(authority_id)
    if request.method == "POST":
        form = CorrectRegistrationForm()
    else:
        form = CorrectRegistrationForm(data=form_data(invitation))
    form.classification.choices = general_classification_choices()
    if request.method == "POST" and not policy.may_decide_registration(current_user, invitation):
        return review(invitation, form, RejectForm(formdata=None), status=409)
    if form.validate_on_submit():
        validating = request.form.get("action") == "validate"
        entries = chosen_classification(form)
        with acting(form, fallback="version", meanwhile=CONFLICT) as outcome:
            correct_registration(
                current_user,
                invitation,
                data=authority_data(form),
                classification_entries=entries,
                user_data=first_user_data(form),
                expected_version=db_int(form.version.data, default=0),
            )
            db.session.flush()
            if validating:
                authority = validate_registration(current_user, invitation)
        if outcome.done:
            if validating:
                # Step 4 as step 2 of: the tabs open in "Edit authority" mode,
                # so the tab "Modules" offers the grant form at once.
                start_editing(authority)
                flash(
                    _(
                        "%(name)s is validated and active; your authority is its access manager. Its first "
                        "user has received a temporary password by e-mail. Step 4: grant it access to modules.",
                        name=authority.official_name,
                    ),
                    "success",
                )
                return redirect_to(url_for("authorities.show", authority_id=authority.id, tab="modules"))
            flash(_("The changes have been saved."), "success")
            return redirect_to(url_for("validation.show", authority_id=authority_id))
        invitation = db.session.get(Invitation, invitation.id)
    status = 422 if request.method == "POST" else 200
    return review(invitation, form, RejectForm(formdata=None), status=status)


@bp.post("/<int:authority_id>/reject")
@login_required
def reject(authority_id):
    invitation = load_registration(authority_id)
    reject_form = RejectForm()
    if reject_form.validate_on_submit():
        with acting(reject_form, fallback="reason") as outcome:
            authority = reject_registration(current_user, invitation, reject_form.reason.data)
        if not outcome.done:
            invitation = db.session.get(Invitation, invitation.id)
        else:
            flash(
                _("The registration of %(name)s has been rejected; the applicant has been told why by e-mail.", name=authority.official_name),
                "success",
            )
            return redirect_to(url_for("validation.index"))
    form = CorrectRegistrationForm(formdata=None, data=form_data(invitation))
    form.classification.choices = general_classification_choices()
    status = 422 if policy.may_decide_registration(current_user, invitation) else 409
    return review(invitation, form, reject_form, status=status)
