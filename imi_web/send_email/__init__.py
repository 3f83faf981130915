"""Menu "Send e-mail" (R-6.1): an access manager writes to the users of selected authorities."""

from flask import Blueprint

bp = Blueprint("send_email", __name__, url_prefix="/mailing")

from . import routes  # noqa: E402,F401
