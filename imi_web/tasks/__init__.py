"""Menu "My tasks" → "For validation" (R-2.2.4): registrations awaiting this authority's
validation, corrected, validated or rejected."""

from flask import Blueprint

bp = Blueprint("validation", __name__, url_prefix="/validation")

from . import routes  # noqa: E402,F401
