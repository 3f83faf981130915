"""Serving one URL as a full page or as an htmx fragment (STYLE.md §4)."""

from flask import make_response, redirect, render_template, request


def is_htmx() -> bool:
    """An htmx request that wants a fragment. A boosted request wants the whole page, and so
    does htmx restoring a page of the browser's history (Back) that it has not kept."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render(page: str, partial: str, status: int = 200, **context):
    """Render ``partial`` for htmx and ``page`` (which includes the partial) otherwise."""
    response = make_response(render_template(partial if is_htmx() else page, **context), status)
    response.vary.add("HX-Request")
    return response


def redirect_to(url: str):
    """Redirect a normal request; tell htmx to load the page with ``HX-Redirect``."""
    if request.headers.get("HX-Request") == "true":
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 303)
