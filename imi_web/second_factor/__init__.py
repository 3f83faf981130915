"""My account → Sign-in security: the authenticator app, passkeys and recovery codes (issue 16)."""

from flask import Blueprint

bp = Blueprint("sign_in_security", __name__, url_prefix="/account/security")

from . import routes  # noqa: E402,F401
