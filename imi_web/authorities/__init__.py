"""Menu "Administration": registering authorities and their details tabs (R-2.1, R-3.1, R-3.3)."""

from flask import Blueprint

bp = Blueprint("authorities", __name__, url_prefix="/authorities")

from . import routes  # noqa: E402,F401
from . import management_routes  # noqa: E402,F401
from . import retirement_routes  # noqa: E402,F401
from . import export_routes  # noqa: E402,F401
