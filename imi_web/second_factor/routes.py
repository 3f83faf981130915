"""Views of My account → Sign-in security: the user's own second factors. Each view acts on the
logged-in user only; the operations record history and security events; ``refusals.acting``
commits once or rolls back a refusal."""

import json

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_required

from .. import policy
from ..refusals import acting
from . import bp
from .forms import ConfirmAppForm, PasskeyForm
from .operations import (
    PASSKEY_CHALLENGE,
    authenticator_app,
    confirm_authenticator,
    passkeys,
    pending_secret,
    provisioning,
    register_passkey,
    registration_options,
    remove_authenticator,
    remove_passkey,
    renew_recovery_codes,
    start_authenticator,
    unused_recovery_codes,
)


def _page(status=200, **extra):
    user = policy.acting_user()
    app = authenticator_app(user)
    context = {
        "app": app if app is not None and app.confirmed_at is not None else None,
        "passkeys": passkeys(user),
        "recovery_codes_left": unused_recovery_codes(user),
        "required": policy.must_have_second_factor(user),
        "passkey_form": PasskeyForm(),
        **extra,
    }
    return render_template("second_factor/index.html", **context), status


def _refused(outcome):
    """A refused change of the user's own second factors: the message on the page."""
    flash(outcome.message(), "error")
    return redirect(url_for("sign_in_security.index"), 303)


@bp.get("/")
@login_required
def index():
    return _page()


@bp.post("/authenticator/start")
@login_required
def start():
    with acting() as outcome:
        start_authenticator(policy.acting_user())
    if not outcome.done:
        return _refused(outcome)
    return redirect(url_for("sign_in_security.authenticator"), 303)


@bp.route("/authenticator", methods=["GET", "POST"])
@login_required
def authenticator():
    """Scan the QR code (or type the key), then confirm with a first code."""
    user = policy.acting_user()
    secret = pending_secret(user)
    if secret is None:
        return redirect(url_for("sign_in_security.index"), 303)
    form = ConfirmAppForm()
    if form.validate_on_submit():
        with acting(form, fallback="code") as outcome:
            codes = confirm_authenticator(user, form.code.data)
        if outcome.done:
            flash(_("Your authenticator app is set up. From now on you log in with your password and a code."), "success")
            if codes:
                return render_template("second_factor/recovery_codes.html", codes=codes)
            return redirect(url_for("sign_in_security.index"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("second_factor/authenticator.html", form=form, **provisioning(user, secret)), status


@bp.post("/authenticator/remove")
@login_required
def remove_app():
    with acting() as outcome:
        remove_authenticator(policy.acting_user(), actor=policy.acting_user())
    if not outcome.done:
        return _refused(outcome)
    flash(_("The authenticator app has been removed."), "success")
    return redirect(url_for("sign_in_security.index"), 303)


@bp.post("/recovery-codes")
@login_required
def recovery_codes():
    with acting() as outcome:
        codes = renew_recovery_codes(policy.acting_user())
    if not outcome.done:
        return _refused(outcome)
    return render_template("second_factor/recovery_codes.html", codes=codes)


@bp.post("/passkeys/options")
@login_required
def passkey_options():
    options, challenge = registration_options(policy.acting_user())
    session[PASSKEY_CHALLENGE] = {"purpose": "registration", "challenge": challenge}
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/passkeys")
@login_required
def add_passkey():
    """The browser's new credential (JSON, from static/passkeys.js), with the name the user gave."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):  # a form sent without JavaScript
        flash(_("Passkeys need JavaScript in the browser."), "error")
        return redirect(url_for("sign_in_security.index"), 303)
    remembered = session.pop(PASSKEY_CHALLENGE, None) or {}
    form = PasskeyForm(data={"name": data.get("name")}, meta={"csrf": False})  # CSRF: the X-CSRFToken header
    credential = data.get("credential")
    if not form.validate() or remembered.get("purpose") != "registration" or not isinstance(credential, dict):
        message = form.name.errors[0] if form.name.errors else _("The passkey could not be registered. Please try again.")
        return jsonify(error=str(message)), 422
    with acting() as outcome:
        register_passkey(policy.acting_user(), form.name.data, json.dumps(credential), remembered["challenge"])
    if not outcome.done:
        return jsonify(error=outcome.message()), 422
    flash(_("The passkey “%(name)s” has been added.", name=form.name.data.strip()), "success")
    return jsonify(redirect=url_for("sign_in_security.index"))


@bp.post("/passkeys/<int:passkey_id>/remove")
@login_required
def remove_one_passkey(passkey_id):
    user = policy.acting_user()
    with acting() as outcome:
        removed = remove_passkey(user, passkey_id, actor=user)
    if not outcome.done:
        return _refused(outcome)
    if not removed:  # not one of the user's own: as if it did not exist
        abort(404)
    flash(_("The passkey has been removed."), "success")
    return redirect(url_for("sign_in_security.index"), 303)
