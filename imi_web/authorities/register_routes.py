"""Menu "Administration" → "Register authority" (R-2.0, R-2.1.1–R-2.1.3, R-2.1.6): the form,
the check for duplicates, then the registration."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import policy
from ..choices import general_classification_choices
from ..models import fold
from ..refusals import acting
from . import bp
from .duplicates import DUPLICATE_REASONS, find_duplicates
from .forms import RegisterAuthorityForm, authority_data, chosen_classification, first_user_data
from .operations import register_authority
from .tabs import start_editing


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
            with acting(form, fallback="official_name") as outcome:
                authority, user = register_authority(
                    current_user,
                    data=authority_data(form),
                    classification_entries=chosen_classification(form),
                    first_user=first_user_data(form),
                )
            if outcome.done:
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
