"""Error pages, in the user's language; htmx requests get the fragment only.

The handlers never fail themselves (issue 15): each rolls back what the failed request began
before it renders (a failed statement leaves PostgreSQL's transaction unusable), and should the
page still not render — the database is down, say — it is rendered again without the database,
for an anonymous visitor, and as a last resort a fixed page. A database that cannot be reached
answers 503 with our own page. The security headers come from ``security`` on every response.
"""

import logging

import sqlalchemy.exc
import sqlalchemy.orm.exc
from flask import g, request, session
from flask_babel import force_locale
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from . import policy, security_events
from .extensions import db, login_manager
from .htmx import render
from .throttling import retry_after_seconds

logger = logging.getLogger(__name__)

# What a browser gets if even the page without the database cannot be rendered.
LAST_RESORT = (
    '<!doctype html><html lang="en"><meta charset="utf-8"><title>{status}</title>'
    "<h1>{status}</h1><p>Please try again later. / Lūdzu, mēģiniet vēlāk vēlreiz.</p></html>"
)


def error_page(status: int, kind: str, **context):
    return render("errors/error.html", "errors/_error.html", status=status, status_code=status, kind=kind, **context)


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # the connection is gone: nothing to roll back
        logger.warning("rollback failed after an error", exc_info=True)


def _without_database() -> str | None:
    """From here on the request renders for an anonymous visitor (loading the user needs the
    database); returns the language of the user as far as it is known without the database."""
    user = g.get("_login_user")
    language = getattr(user, "__dict__", {}).get("language") if user is not None else None
    g._login_user = login_manager.anonymous_user()
    return session.get("language") or language


def safe_error_page(status: int, kind: str, database: bool = True, **context):
    """``error_page``, which works without the database too (``database=False``: never try it)."""
    _rollback()
    if database:
        try:
            return error_page(status, kind, **context)
        except Exception:
            logger.exception("the error page failed; rendered again without the database")
            _rollback()
    language = _without_database()
    try:
        if language:
            with force_locale(language):
                return error_page(status, kind, **context)
        return error_page(status, kind, **context)
    except Exception:
        logger.exception("the error page failed without the database too")
        return LAST_RESORT.format(status=status), status, {"Content-Type": "text/html; charset=utf-8"}


# SQLite reports a bad statement as an OperationalError too; these are the ones of a database
# out of reach (a missing or unreadable file, a writer holding the lock too long).
_SQLITE_UNAVAILABLE = ("unable to open", "database is locked", "disk i/o error", "readonly database")


def database_unavailable(error) -> bool:
    """The database cannot be reached (down, restarting, too busy), rather than a bad statement."""
    if isinstance(error, (sqlalchemy.exc.InterfaceError, sqlalchemy.exc.TimeoutError)):
        return True
    if getattr(error, "connection_invalidated", False):
        return True
    if isinstance(error, sqlalchemy.exc.OperationalError):
        original = error.orig
        if type(original).__module__.startswith("sqlite3"):
            return any(text in str(original).lower() for text in _SQLITE_UNAVAILABLE)
        return True  # PostgreSQL: connection lost or refused, too busy, cancelled, a conflict to retry
    return False


def _record_refusal() -> None:
    """Every refusal is a security event: who, which route, which object (ASVS 7.2.2). A
    database that cannot take it does not change the answer: the refusal is logged instead."""
    try:
        db.session.rollback()  # nothing the refused request began is kept
        user = current_user._get_current_object()
        security_events.record(
            security_events.ACCESS_REFUSED,
            user=user if user.is_authenticated else None,
            object=security_events.describe_object(request.view_args),
        )
        db.session.commit()
    except sqlalchemy.exc.SQLAlchemyError:
        logger.exception("the refusal could not be recorded")


def init_app(app):
    def page(status, kind):
        def handler(error):
            return safe_error_page(status, kind)

        return handler

    for status, kind in (
        (400, "bad_request"),
        (405, "not_allowed"),
        (413, "too_large"),
    ):
        app.register_error_handler(status, page(status, kind))
    app.register_error_handler(CSRFError, page(400, "csrf"))

    @app.errorhandler(404)
    def not_found(error):
        if isinstance(error, policy.NotVisible):  # out of scope: a refusal, answered as "not there"
            _record_refusal()
        return safe_error_page(404, "not_found")

    @app.errorhandler(403)
    def forbidden(error):
        _record_refusal()
        return safe_error_page(403, "forbidden")

    @app.errorhandler(429)
    def too_many_requests(error):
        return safe_error_page(429, "too_many_requests", retry_after=retry_after_seconds())

    @app.errorhandler(sqlalchemy.exc.OperationalError)
    @app.errorhandler(sqlalchemy.exc.InterfaceError)
    @app.errorhandler(sqlalchemy.exc.TimeoutError)
    def database_unreachable(error):
        """The database cannot be reached (or is too busy): 503, our page, without the database."""
        if not database_unavailable(error):  # a bad statement: a fault of ours
            logger.error("database error", exc_info=error)
            return safe_error_page(500, "server_error")
        logger.error("database unavailable", exc_info=error)
        return safe_error_page(503, "unavailable", database=False)

    @app.errorhandler(sqlalchemy.orm.exc.ObjectDeletedError)
    @app.errorhandler(sqlalchemy.orm.exc.StaleDataError)
    def changed_meanwhile(error):
        """What the request acted on was deleted by another request meanwhile (even the acting
        user: two administrators deleting each other): 409, nothing of this request kept."""
        logger.info("changed by another request meanwhile: %s", type(error).__name__)
        return safe_error_page(409, "conflict")

    @app.errorhandler(500)
    def server_error(error):
        original = getattr(error, "original_exception", None)
        if database_unavailable(original):
            return safe_error_page(503, "unavailable", database=False)
        return safe_error_page(500, "server_error")
