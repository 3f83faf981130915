import json

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import force_locale, ngettext
from flask_login import current_user, login_required, login_user, logout_user

from .. import policy, security_events, sessions
from ..extensions import db, limiter, login_manager
from ..htmx import redirect_to
from ..i18n import browser_locale
from ..models import User, fold
from ..passwords import MIN_LENGTH
from ..refusals import Refused, acting
from ..security import safe_next
from . import bp
from ..second_factor.operations import (
    PASSKEY_CHALLENGE,
    authentication_options,
    authenticator_app,
    check_code,
    passkeys,
    verify_passkey,
)
from .forms import ChangePasswordForm, LoginForm, SecondFactorForm
from . import pending
from .operations import authenticate, change_password, complete_login, must_change_password, second_factor_failed

login_manager.login_view = "auth.login"
login_manager.login_message = None
login_manager.session_protection = "basic"

# Endpoints a user who must change the password (or set up a second factor) may still reach.
OPEN_DURING_FORCED_CHANGE = {"auth.change_password", "auth.logout", "main.set_language", "static"}
# Flask-Login's keys in the cookie: the session token, and its freshness and browser marks.
FLASK_LOGIN_KEYS = ("_user_id", "_fresh", "_id")


@login_manager.user_loader
def load_user(token: str) -> User | None:
    """The user whose sign-in session the cookie names (imi_web.sessions). A session that is
    over is forgotten by the cookie, and the login page says why."""
    resolved = sessions.resolve(token)
    if resolved.user is None:
        for key in FLASK_LOGIN_KEYS:
            session.pop(key, None)
        if resolved.language and not session.get("language"):
            session["language"] = resolved.language  # the login page speaks the user's language
        # Not get_locale(): it would ask for the user being loaded here.
        with force_locale(session.get("language") or browser_locale()):
            flash(_ended_message(resolved.ended), "info")
    return resolved.user


def _ended_message(reason: str) -> str:
    if reason == sessions.IDLE:
        return _(
            "Your session has ended because it was not used for %(minutes)d minutes. Please log in again.",
            minutes=current_app.config["SESSION_IDLE_MINUTES"],
        )
    if reason == sessions.ABSOLUTE:
        return _(
            "Your session has ended: a session lasts at most %(hours)s hours after logging in. Please log in again.",
            hours=lifetime_hours(),
        )
    return _("Your session has ended. Please log in again.")


def lifetime_hours() -> str:
    """The absolute lifetime of a session in hours, as people write it ("8", "0.5")."""
    return "{:g}".format(current_app.permanent_session_lifetime.total_seconds() / 3600)


@login_manager.unauthorized_handler
def unauthorized():
    if pending.waiting():  # the password is given: the second factor is what is missing
        return redirect_to(url_for("auth.second_factor"))
    return redirect_to(url_for("auth.login", next=request.full_path.rstrip("?")))


@bp.before_app_request
def force_password_change_and_second_factor():
    """A temporary or expired password leads every request to the change form (R-3.8); then a
    user who must have a second factor and has none, to setting one up (issue 16)."""
    if request.endpoint in OPEN_DURING_FORCED_CHANGE:
        return None
    user = current_user._get_current_object()  # one proxy lookup on every request, not several
    if not user.is_authenticated:
        return None
    if must_change_password(user):
        return redirect_to(url_for("auth.change_password"))
    if (
        not user.has_second_factor
        and request.blueprint != "sign_in_security"
        and policy.must_have_second_factor(user)
    ):
        return redirect_to(url_for("sign_in_security.index"))
    return None


def _start_session(user: User) -> None:
    """A fresh cookie for a new sign-in session (no fixation): keep only the chosen language."""
    language = session.get("language")
    session.clear()
    if language:
        session["language"] = language
    session.permanent = True
    sessions.start_session(user)
    login_user(user)


def _failed_login(response) -> bool:
    return response.status_code == 422


def _signed_in(user: User, second_factor: str, next_url: str):
    """The sign-in is complete: a new sign-in session, then the forced password change if due."""
    with acting():
        complete_login(user, second_factor)
        _start_session(user)
    if must_change_password(user):
        return url_for("auth.change_password")
    return safe_next(next_url)


def _login_username() -> str:
    return "username:" + fold(request.form.get("username", "").strip())[:64]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=_failed_login)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_USERNAME"],
    methods=["POST"],
    key_func=_login_username,
    deduct_when=_failed_login,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm(next=request.args.get("next", ""))
    failed = False
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is not None and user.has_second_factor:
            with acting():
                pending.start(user, form.next.data)
            return redirect(url_for("auth.second_factor"), 303)
        if user is not None:
            return redirect(_signed_in(user, "", form.next.data), 303)
        # Not acting(): the answer is a refusal (422), yet the failed attempt, the blocking and
        # the events must be kept.
        db.session.commit()
        failed = True
    status = 422 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form, failed=failed), status


@bp.route("/logout", methods=["POST"])
def logout():
    user = current_user._get_current_object()
    if user.is_authenticated:
        with acting():
            sessions.end_session(user.session_token)
            security_events.record(security_events.LOGOUT, user=user)
        logout_user()
    language = session.get("language")
    flashes = session.get("_flashes")  # "your session has ended", if it had
    session.clear()
    if language:
        session["language"] = language
    if flashes:
        session["_flashes"] = flashes
    else:
        flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"), 303)


@bp.route("/account/password", methods=["GET", "POST"], endpoint="change_password")
@login_required
def change_password_view():
    form = ChangePasswordForm()
    forced = must_change_password(current_user)
    if form.validate_on_submit():
        user = current_user._get_current_object()
        with acting(form, fallback="new_password") as outcome:
            problems = change_password(user, form.current_password.data, form.new_password.data)
            if "current_password" in problems:
                raise Refused({"current_password": [_("The current password is not correct.")]})
            if problems:
                raise Refused(problems)
        if outcome.done:
            login_user(user)  # the session's new token in this browser's cookie
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("main.index"), 303)
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



@bp.get("/account/sessions", endpoint="sessions")
@login_required
def sessions_view():
    """My profile → Sessions: where the user is logged in now."""
    user = current_user._get_current_object()
    return render_template(
        "auth/sessions.html",
        sessions=sessions.active_sessions(user, user.session_token),
        idle_minutes=current_app.config["SESSION_IDLE_MINUTES"],
        lifetime_hours=lifetime_hours(),
    )


@bp.post("/account/sessions/others", endpoint="end_other_sessions")
@login_required
def end_other_sessions():
    user = current_user._get_current_object()
    with acting():
        ended = sessions.end_user_sessions(
            user, reason=security_events.BY_USER, actor=user, keep_token=user.session_token
        )
    flash(ngettext("%(num)d other session has been logged out.", "%(num)d other sessions have been logged out.", ended), "success")
    return redirect(url_for("auth.sessions"), 303)


@bp.post("/account/sessions/<int:session_id>", endpoint="end_session")
@login_required
def end_one_session(session_id):
    """Log out one of the user's other sessions; another user's session is not found (404)."""
    user = current_user._get_current_object()
    with acting():
        ended = sessions.end_session_of_user(user, session_id, actor=user, keep_token=user.session_token)
    if not ended:
        abort(404)
    flash(_("The session has been logged out."), "success")
    return redirect(url_for("auth.sessions"), 303)


# --- the second step of the sign-in (issue 16) ----------------------------------------------


def _second_factor_failed(response) -> bool:
    return response.status_code == 422


second_factor_throttle = limiter.shared_limit(
    lambda: current_app.config["SECOND_FACTOR_LIMIT"],
    scope="second-factor",
    key_func=pending.user_id,
    methods=["POST"],
    deduct_when=_second_factor_failed,
)


def _waiting_user():
    waiting = pending.load()
    if waiting is None:
        flash(_("Please log in again."), "info")
    return waiting


def _blocked_response(is_json: bool):
    """Too many wrong codes: the password is blocked (R-3.8); back to the login page."""
    with acting():
        pending.clear()
    flash(_("Login failed: the username or password is wrong, or the password is blocked."), "error")
    if is_json:
        return jsonify(redirect=url_for("auth.login")), 422
    return redirect(url_for("auth.login"), 303)


@bp.route("/login/second-factor", methods=["GET", "POST"])
@second_factor_throttle
def second_factor():
    """After a correct password: the code of the authenticator app, a recovery code or a passkey."""
    waiting = _waiting_user()
    if waiting is None:
        return redirect(url_for("auth.login"), 303)
    user, next_url = waiting
    form = SecondFactorForm()
    if form.validate_on_submit():
        method = check_code(user, form.code.data)
        if method is not None:
            return redirect(_signed_in(user, method, next_url), 303)
        if second_factor_failed(user, security_events.AUTHENTICATOR_APP):
            return _blocked_response(is_json=False)
        db.session.commit()  # not acting(): the answer is 422, yet the failed attempt counts
        form.code.errors = [_("This code is not right. Enter the code your app shows now, or an unused recovery code.")]
    status = 422 if request.method == "POST" else 200
    return render_template(
        "auth/second_factor.html", form=form, has_app=authenticator_app(user) is not None, has_passkeys=bool(passkeys(user))
    ), status


@bp.post("/login/second-factor/passkey/options")
@second_factor_throttle
def second_factor_passkey_options():
    waiting = pending.load()
    if waiting is None:
        return jsonify(redirect=url_for("auth.login")), 409
    options, challenge = authentication_options(waiting[0])
    session[PASSKEY_CHALLENGE] = {"purpose": "sign-in", "challenge": challenge}
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/login/second-factor/passkey")
@second_factor_throttle
def second_factor_passkey():
    waiting = pending.load()
    if waiting is None:
        return jsonify(redirect=url_for("auth.login")), 409
    user, next_url = waiting
    remembered = session.pop(PASSKEY_CHALLENGE, None) or {}
    credential = (request.get_json(silent=True) or {}).get("credential")
    if remembered.get("purpose") == "sign-in" and isinstance(credential, dict):
        if verify_passkey(user, json.dumps(credential), remembered["challenge"]) is not None:
            return jsonify(redirect=_signed_in(user, security_events.PASSKEY, next_url))
    if second_factor_failed(user, security_events.PASSKEY):
        return _blocked_response(is_json=True)
    db.session.commit()  # not acting(): the answer is 422, yet the failed attempt counts
    return jsonify(error=_("The passkey could not be checked. Try again, or enter a code.")), 422
