"""The public self-registration form of an invitation link (R-2.2.2).

Reached only through a valid link: ``/register/<token>`` checks the token, keeps its hash in
the session and redirects to ``/register/`` (an unusable link redirects there too, without it), so the token leaves the address bar at once and
never travels in a Referer header (every page here sends ``Referrer-Policy: no-referrer``).
Every link that cannot be used gets one and the same message.
"""

import sqlalchemy as sa
from flask import redirect, render_template, request, session, url_for

from ..extensions import db
from ..refusals import acting
from ..throttling import registration_throttle
from ..authorities.forms import authority_data, chosen_classification, first_user_data
from ..choices import general_classification_choices
from . import registration_bp as bp
from .forms import SelfRegistrationForm
from .operations import INVALID_LINK, hash_token, register_invited_authority, usable_invitation

SESSION_KEY = "invitation"
DONE_KEY = "invitation_registered"
MAX_TOKEN_LENGTH = 200


@bp.after_request
def no_referrer(response):
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def invalid_link():
    session.pop(SESSION_KEY, None)
    return render_template("invitations/invalid_link.html", message=INVALID_LINK), 404


@bp.get("/<token>")
@registration_throttle
def start(token):
    """Every link, usable or not, redirects to the form, which says whether it can be used:
    one answer for all, and the token is in no page (not even the language switch's ``next``)."""
    invitation = usable_invitation(hash_token(token)) if len(token) <= MAX_TOKEN_LENGTH else None
    if invitation is None:
        session.pop(SESSION_KEY, None)
    else:
        session[SESSION_KEY] = invitation.token_hash
        session["language"] = invitation.language  # the invitation's language; the header switches it
    return redirect(url_for("registration.form"), 303)


@bp.route("/", methods=["GET", "POST"])
@registration_throttle
def form():
    token_hash = session.get(SESSION_KEY)
    invitation = usable_invitation(token_hash)
    if invitation is None:
        return invalid_link()
    prefill = {
        "official_name": invitation.suggested_name,
        "user_email": invitation.email,
        "user_language": invitation.language,
    }
    form = SelfRegistrationForm(data=prefill if request.method == "GET" else None)
    form.classification.choices = general_classification_choices()
    if form.validate_on_submit():
        entries = chosen_classification(form)
        try:
            with acting() as outcome:
                authority, user = register_invited_authority(
                    token_hash,
                    data=authority_data(form),
                    classification_entries=entries,
                    first_user=first_user_data(form),
                )
        except sa.exc.IntegrityError:
            # The unique Invitation.authority_id: another submission of this link won.
            db.session.rollback()
            return invalid_link()
        if not outcome.done:
            return invalid_link()
        session.pop(SESSION_KEY, None)
        session[DONE_KEY] = {"username": user.username, "authority": authority.official_name, "email": user.email}
        return redirect(url_for("registration.done"), 303)
    status = 422 if form.errors else 200
    return render_template("invitations/register.html", form=form, invitation=invitation), status


@bp.get("/done")
def done():
    registered = session.get(DONE_KEY)
    if not registered:
        return invalid_link()
    return render_template("invitations/registered.html", registered=registered)
