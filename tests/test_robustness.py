"""Hostile input and errors (issue 15): never a 500, our own error pages, out of scope looks
like not there, no personal data in logs. On SQLite and PostgreSQL."""

import pytest

from tests.authorities.conftest import login, world  # noqa: F401
from tests.conftest import BACKENDS, Client

pytestmark = pytest.mark.parametrize("backend", BACKENDS)

HUGE = "99999999999999999999999"
NUL = "ab\x00cd"

# (who, method, url, form data, htmx). ``{a}`` is an authority the user manages, ``{own}``
# the user's own authority; ``who`` None is anonymous.
PROBES = [
    (None, "POST", "/login", {"username": "x\x00y", "password": "whatever-1"}, False),
    (None, "POST", "/login", {"username": "someone", "password": "pass\x00word"}, False),
    (None, "POST", "/login", {"username": "x" * 10000, "password": "whatever-1"}, False),
    (None, "GET", "/login?next=%00", None, False),
    (None, "GET", "/register/ab%00cd", None, False),
    (None, "POST", "/language", {"language": "lv\x00", "next": "/"}, False),
    ("nimic.admin", "GET", "/authorities/?q=ab%00cd", None, False),
    ("nimic.admin", "GET", "/authorities/?q=ab%00cd", None, True),
    ("nimic.admin", "GET", "/directory/?q=ab%00cd", None, False),
    ("nimic.admin", "GET", "/directory/?q=ab%00cd", None, True),
    ("nimic.admin", "GET", "/security-events/?username=ab%00cd", None, False),
    ("nimic.admin", "GET", "/invitations/?status=%00", None, False),
    ("nimic.admin", "GET", f"/authorities/{HUGE}/authority", None, False),
    ("nimic.admin", "GET", f"/authorities/{HUGE}", None, False),
    ("nimic.admin", "GET", f"/directory/{HUGE}", None, False),
    ("nimic.admin", "GET", f"/validation/{HUGE}", None, False),
    ("nimic.admin", "POST", f"/invitations/{HUGE}/resend", {}, False),
    ("nimic.admin", "GET", "/authorities/{a}/users/" + HUGE, None, False),
    ("nimic.admin", "GET", "/authorities/{a}/modules/" + HUGE, None, True),
    ("nimic.admin", "POST", "/account/sessions/" + HUGE, {}, False),
    ("nimic.admin", "GET", f"/authorities/?module={HUGE}", None, False),
    ("nimic.admin", "GET", f"/authorities/?without_module={HUGE}", None, False),
    ("nimic.admin", "GET", f"/authorities/?classification={HUGE}", None, False),
    ("nimic.admin", "GET", f"/authorities/?page={HUGE}", None, False),
    ("nimic.admin", "GET", "/authorities/?page=%C2%B2", None, False),
    ("nimic.admin", "GET", f"/directory/?module={HUGE}&country={HUGE}&page={HUGE}", None, False),
    ("nimic.admin", "GET", f"/invitations/?page={HUGE}", None, False),
    ("nimic.admin", "GET", f"/security-events/?page={HUGE}", None, False),
    ("nimic.admin", "GET", "/authorities/{a}/management?history_page=" + HUGE, None, False),
    ("nimic.admin", "GET", "/authorities/{a}/management/history?history_page=" + HUGE, None, True),
    ("nimic.admin", "GET", "/authorities/{a}/modules/new?module=" + HUGE, None, False),
    ("nimic.admin", "POST", "/authorities/{a}/management/managers", {"manager": HUGE}, False),
    ("nimic.admin", "POST", "/authorities/{a}/management/managers", {"manager": "-" + HUGE}, True),
    ("nimic.admin", "POST", "/authorities/{a}/modules", {"module": HUGE, "role": "authority"}, False),
    (
        "nimic.admin",
        "POST",
        "/authorities/{a}/modules",
        {"role": "authority", "linked_coordinator": HUGE, "classification": HUGE},
        False,
    ),
    ("nimic.admin", "POST", "/authorities/{a}/management/delegation", {"scope": "full", "modules": HUGE}, False),
    ("nimic.admin", "POST", "/authorities/{a}/authority/edit", {"official_name": NUL, "version": HUGE}, False),
    (
        "nimic.admin",
        "POST",
        "/authorities/new",
        {"official_name": NUL, "informal_name": "x", "email": "a@b.lv", "first_name": NUL, "surname": NUL},
        False,
    ),
    (
        "nimic.admin",
        "POST",
        "/invitations/new",
        {"email": "ab\x00cd@example.lv", "suggested_name": NUL, "language": "en", "message": NUL},
        False,
    ),
    (
        "nimic.admin",
        "POST",
        "/authorities/{a}/users/new",
        {"first_name": NUL, "surname": NUL, "email": "ab\x00@x.lv", "language": "en", "rights": HUGE},
        False,
    ),
    ("nimic.admin", "POST", "/mailing/", {"audience": "all", "subject": NUL, "message": NUL, "action": "preview"}, False),
    ("nimic.admin", "POST", "/account/password", {"current_password": NUL, "new_password": NUL, "repeat_password": NUL}, False),
]


def _probe_id(probe):
    who, method, url, data, htmx = probe
    return f"{who or 'anon'}-{method}-{url}{'-htmx' if htmx else ''}{'-' + ','.join(data) if data else ''}"


@pytest.mark.parametrize("probe", PROBES, ids=[_probe_id(p) for p in PROBES])
def test_hostile_input_is_refused_without_a_server_error(app, world, login, probe):
    who, method, url, data, htmx = probe
    client = login(who) if who else Client(app.test_client())
    url = url.format(a=world.plain.id, own=world.nimic.id)
    if method == "GET":
        response = client.get(url, htmx=htmx)
    else:
        response = client.post(url, data, htmx=htmx)
    assert response.status_code < 500, response.get_data(as_text=True)[:2000]
