"""Menu "Authorities" → "Search": the directory of active authorities of all countries (R-5.2)."""

from flask import Blueprint

bp = Blueprint("directory", __name__, url_prefix="/directory")

from . import routes  # noqa: E402,F401
