"""Throttling of the anonymous pages with Flask-Limiter (ASVS 2.2.1): the login per client
address and per username (failed attempts only), the invitation link and the registration
form per address. A throttled request gets 429 with ``Retry-After``, our error page in the
reader's language, and a security event.

The counters live in ``RATELIMIT_STORAGE_URI``: in memory for one server (each process
counts for itself), Redis or memcached shared by several. Should that storage be out of
reach, the limits are counted in memory meanwhile rather than refusing every login.
"""

import math
import time

from flask import current_app, request
from flask_login import current_user

from . import security_events
from .extensions import db, limiter


def registration_limit() -> str:
    return current_app.config["REGISTRATION_LIMIT_PER_ADDRESS"]


# One budget for the invitation link and the form it leads to.
registration_throttle = limiter.shared_limit(registration_limit, scope="registration")


def retry_after_seconds() -> int | None:
    """Seconds until the breached limit lets this client in again (for the error page)."""
    current = limiter.current_limit
    if current is None:
        return None
    return max(1, math.ceil(current.reset_at - time.time()))


def _record_throttled(request_limit) -> None:
    user = current_user._get_current_object()
    username = request.form.get("username", "") if request.endpoint == "auth.login" else ""
    with db.engine.begin() as connection:
        security_events.record(
            security_events.REQUEST_THROTTLED,
            user=user if user.is_authenticated else None,
            username=username.strip().lower(),
            reason=str(request_limit.limit)[:40],
            connection=connection,
        )
    return None


def init_app(app) -> None:
    app.config.setdefault("RATELIMIT_ON_BREACH_CALLBACK", _record_throttled)
    limiter.init_app(app)
    # Every limit here decorates its view, and a decorated view checks its limits itself when
    # it is called. The extension's own before-request hook looks for application-wide limits
    # (there are none) on every request: work no request needs, so the hook is taken out.
    hooks = app.before_request_funcs[None]
    if limiter._check_request_limit in hooks:  # absent when RATELIMIT_ENABLED is false
        hooks.remove(limiter._check_request_limit)
