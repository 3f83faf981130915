"""Error pages, in the user's language; htmx requests get the fragment only."""

from flask import request
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from . import security_events
from .extensions import db
from .htmx import render
from .throttling import retry_after_seconds


def error_page(status: int, kind: str, **context):
    return render("errors/error.html", "errors/_error.html", status=status, status_code=status, kind=kind, **context)


def init_app(app):
    def page(status, kind):
        def handler(error):
            return error_page(status, kind)

        return handler

    for status, kind in (
        (400, "bad_request"),
        (404, "not_found"),
        (405, "not_allowed"),
        (413, "too_large"),
        (500, "server_error"),
    ):
        app.register_error_handler(status, page(status, kind))
    app.register_error_handler(CSRFError, page(400, "csrf"))

    @app.errorhandler(403)
    def forbidden(error):
        """Every refusal is a security event: who, which route, which object (ASVS 7.2.2)."""
        db.session.rollback()  # nothing the refused request began is kept
        user = current_user._get_current_object()
        security_events.record(
            security_events.ACCESS_REFUSED,
            user=user if user.is_authenticated else None,
            object=security_events.describe_object(request.view_args),
        )
        db.session.commit()
        return error_page(403, "forbidden")

    @app.errorhandler(429)
    def too_many_requests(error):
        return error_page(429, "too_many_requests", retry_after=retry_after_seconds())
