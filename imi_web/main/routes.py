from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from .. import history
from ..menu import own_authority_link
from ..refusals import acting
from ..security import safe_next
from ..users.operations import rights_by_module
from . import bp


@bp.route("/")
@login_required
def index():
    user = current_user
    return render_template(
        "main/index.html",
        user=user,
        authority=user.authority,
        rights_by_module=rights_by_module(user),
        password_expires_at=user.password_expires_at(),
        own_authority=own_authority_link(),
    )


@bp.route("/language", methods=["POST"])
def set_language():
    """The header's language buttons: the language of the interface in this browser only (the
    language of the user's mails is chosen on My profile)."""
    language = request.form.get("language", "")
    if language not in current_app.config["LANGUAGES"]:
        abort(400)
    session["language"] = language
    session.permanent = True
    return redirect(safe_next(request.form.get("next")), 303)


@bp.route("/account/language", methods=["POST"])
@login_required
def set_account_language():
    """My profile: the user's language, of the interface (in every browser) and of mails (R-6.3)."""
    language = request.form.get("language", "")
    if language not in current_app.config["LANGUAGES"]:
        abort(400)
    user = current_user._get_current_object()
    session["language"] = language
    if user.language != language:
        with acting():
            history.record_user_change(
                "user.language_changed", actor=user, user=user, changes={"language": [user.language, language]}
            )
            user.language = language
    flash(gettext("The language of the interface and of your e-mails has been saved."), "success")
    return redirect(url_for("main.index"), 303)
