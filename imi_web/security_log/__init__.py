"""Administration → Security events: the country's sign-in and access events (ASVS V7)."""

from flask import Blueprint

bp = Blueprint("security_log", __name__, url_prefix="/security-events")

from . import routes  # noqa: E402,F401
