"""Logging in and out, and the user's own password (R-3.8, R-3.9)."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import routes  # noqa: E402,F401
