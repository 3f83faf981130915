"""Error pages, in the user's language; htmx requests get the fragment only."""

from flask_wtf.csrf import CSRFError

from .htmx import render


def init_app(app):
    def page(status, title_key):
        def handler(error):
            return render("errors/error.html", "errors/_error.html", status=status, status_code=status, kind=title_key)

        return handler

    for status, kind in (
        (400, "bad_request"),
        (403, "forbidden"),
        (404, "not_found"),
        (405, "not_allowed"),
        (413, "too_large"),
        (500, "server_error"),
    ):
        app.register_error_handler(status, page(status, kind))
    app.register_error_handler(CSRFError, page(400, "csrf"))
