from flask import abort, current_app, redirect, render_template, request, session
from flask_login import current_user, login_required

from .. import history
from ..extensions import db
from ..security import safe_next
from . import bp


@bp.route("/")
@login_required
def index():
    user = current_user
    rights_by_module = {}
    for right in sorted(user.module_rights, key=lambda r: (r.module.code, r.id)):
        rights_by_module.setdefault(right.module, []).append(right)
    return render_template(
        "main/index.html",
        user=user,
        authority=user.authority,
        rights_by_module=rights_by_module,
        password_expires_at=user.password_expires_at(),
    )


@bp.route("/language", methods=["POST"])
def set_language():
    """Switch the interface language; remembered in the session and on the user's account."""
    language = request.form.get("language", "")
    if language not in current_app.config["LANGUAGES"]:
        abort(400)
    session["language"] = language
    session.permanent = True
    if current_user.is_authenticated and current_user.language != language:
        history.record_user_change(
            "user.language_changed",
            actor=current_user,
            user=current_user,
            changes={"language": [current_user.language, language]},
        )
        current_user.language = language
        db.session.commit()
    return redirect(safe_next(request.form.get("next")), 303)
