"""Links in mails start with IMI_BASE_URL: say so once when the site is reached at another host.

A server started on another port or name than IMI_BASE_URL names (``make run PORT=8731`` with
a stale setting, a proxy that does not pass ``Host`` on) would otherwise mail links that lead
nowhere, and nobody would notice until an invited authority complains.
"""

import logging
from urllib.parse import urlsplit

from flask import request

log = logging.getLogger(__name__)


def init_app(app):
    expected = urlsplit(app.config["BASE_URL"]).netloc.lower()
    warned = False

    @app.before_request
    def warn_once_about_another_host():
        nonlocal warned
        if warned or request.host.lower() == expected:
            return
        warned = True
        log.warning(
            "this request came to %s, but links in mails point at %s (IMI_BASE_URL): set IMI_BASE_URL "
            "to the address people use, or pass the Host header on from the proxy",
            request.host,
            app.config["BASE_URL"],
        )
