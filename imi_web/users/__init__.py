"""Users of an authority (tab "Users", R-3.6–R-3.10) and their operations."""

from flask import Blueprint

bp = Blueprint("users", __name__, url_prefix="/authorities/<int:authority_id>/users")

from . import routes  # noqa: E402,F401
from . import tab  # noqa: E402,F401 (registers what the authority's tab "Users" shows)
