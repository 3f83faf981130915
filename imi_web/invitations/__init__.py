"""Invitations to self-register (R-2.2): menu "Administration" → "Registration invitations"
and the public self-registration form of a link ("My tasks" → "For validation" is ``tasks``)."""

import logging
import re

from flask import Blueprint

bp = Blueprint("invitations", __name__, url_prefix="/invitations")
registration_bp = Blueprint("registration", __name__, url_prefix="/register")

# The one request that opens a link carries its token in the path: access logs must not keep it.
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access")
_TOKEN_IN_PATH = re.compile(r"(/register/)[^/?#\s\"]{8,}")


class RedactInvitationTokens(logging.Filter):
    """Replace invitation tokens in access-log lines with ``[token]``."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/register/" in message:
            record.msg, record.args = _TOKEN_IN_PATH.sub(r"\1[token]", message), ()
        return True


@registration_bp.record_once
def _redact_access_logs(state):
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactInvitationTokens) for f in logger.filters):
            logger.addFilter(RedactInvitationTokens())

from . import routes  # noqa: E402,F401
from . import registration_routes  # noqa: E402,F401
