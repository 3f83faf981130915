import time

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.orm import contains_eager

from ..extensions import db, login_manager
from ..htmx import redirect_to
from ..models import User
from ..passwords import MIN_LENGTH
from ..security import safe_next
from . import bp
from .forms import ChangePasswordForm, LoginForm
from .operations import authenticate, change_password, must_change_password

login_manager.login_view = "auth.login"
login_manager.login_message = None
login_manager.session_protection = "basic"

SESSION_STARTED = "started"  # the login's time (seconds since the epoch), in the session
# Endpoints a user who must change the password may still reach.
OPEN_DURING_FORCED_CHANGE = {"auth.change_password", "auth.logout", "main.set_language", "static"}


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user_id, _sep, nonce = session_id.partition(":")
    if not user_id.isdigit() or not nonce:
        return None
    # The session ends 8 hours after the login, however often it changes in between (ASVS 3.3:
    # re-authentication once a working day); the cookie's own expiry moves with each change.
    started = session.get(SESSION_STARTED)
    if not isinstance(started, int) or time.time() - started > current_app.permanent_session_lifetime.total_seconds():
        return None
    # One query for the user and its authority: this runs on every request
    # (contains_eager costs less than ``session.get`` with a joined load).
    user = db.session.scalar(_USER_WITH_AUTHORITY, {"id": int(user_id)})
    if user is None or user.session_nonce != nonce or not user.authority.is_active:
        return None
    return user


_USER_WITH_AUTHORITY = (
    sa.select(User).join(User.authority).options(contains_eager(User.authority)).where(User.id == sa.bindparam("id"))
)


@login_manager.unauthorized_handler
def unauthorized():
    return redirect_to(url_for("auth.login", next=request.full_path.rstrip("?")))


@bp.before_app_request
def force_password_change():
    """A temporary or expired password leads every request to the change form (R-3.8)."""
    user = current_user._get_current_object()  # one proxy lookup on every request, not several
    if user.is_authenticated and request.endpoint not in OPEN_DURING_FORCED_CHANGE and must_change_password(user):
        return redirect_to(url_for("auth.change_password"))
    return None


def _start_session(user: User) -> None:
    # A fresh session at login (no fixation): keep only the chosen language.
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language
    session.permanent = True
    session[SESSION_STARTED] = int(time.time())
    login_user(user)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm(next=request.args.get("next", ""))
    failed = False
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        db.session.commit()  # failed attempts and blocking count even when login fails
        if user is not None:
            _start_session(user)
            if must_change_password(user):
                return redirect(url_for("auth.change_password"), 303)
            return redirect(safe_next(form.next.data), 303)
        failed = True
    status = 422 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form, failed=failed), status


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"), 303)


@bp.route("/account/password", methods=["GET", "POST"], endpoint="change_password")
@login_required
def change_password_view():
    form = ChangePasswordForm()
    forced = must_change_password(current_user)
    if form.validate_on_submit():
        user = current_user._get_current_object()
        problems = change_password(user, form.current_password.data, form.new_password.data)
        if not problems:
            db.session.commit()
            _start_session(user)  # the new session identity of this browser
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("main.index"), 303)
        db.session.rollback()
        if "current_password" in problems:
            form.current_password.errors = [_("The current password is not correct.")]
        form.new_password.errors = [str(message) for message in problems.get("new_password", [])]
    status = 422 if request.method == "POST" else 200
    return (
        render_template(
            "auth/change_password.html",
            form=form,
            forced=forced,
            password_status=current_user.password_status().value,
            max_age_days=current_app.config["PASSWORD_MAX_AGE_DAYS"],
            history_size=current_app.config["PASSWORD_HISTORY_SIZE"],
            min_length=MIN_LENGTH,
        ),
        status,
    )

