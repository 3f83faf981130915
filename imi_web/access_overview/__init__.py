"""Administration → Access overview: which managed authority has which module, in which role."""

from flask import Blueprint

bp = Blueprint("access_overview", __name__, url_prefix="/access-overview")

from . import routes  # noqa: E402,F401
