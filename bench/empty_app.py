"""The application with one more route, ``/bench/empty``: behind the login, it answers "ok".

What every authenticated page pays before it does anything of its own: the session cookie,
the sign-in session and the acting user with its authority. ``bench/compare.py`` serves it
from any checkout (this file is copied there), to compare two versions of the application.
"""

from flask_login import login_required

from imi_web import create_app

app = create_app()


@app.get("/bench/empty")
@login_required
def bench_empty():
    return "ok"
