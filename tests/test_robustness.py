"""Hostile input and errors (issue 15): never a 500, our own error pages, out of scope looks
like not there, no personal data in logs. On SQLite and PostgreSQL."""

import logging
import re

import pytest
import sqlalchemy as sa

from imi_web import create_app
from imi_web.extensions import db as _db
from imi_web.models import Authority, HistoryEntry, Invitation, InvitationStatus, OutboxMessage, SecurityEvent, User
from tests.authorities.conftest import login, world  # noqa: F401
from tests.conftest import BACKENDS, TEST_CONFIG, Client, Factory
from tests.fixtures.smtp import free_port

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
    html = response.get_data(as_text=True)
    assert response.status_code < 500, html[:2000]
    if data and any("\x00" in str(value) for value in data.values()) and response.status_code == 422:
        # Beside the field, in words (the form is shown again, nothing saved).
        assert "control characters" in html, html[:2000]


UNFIT = ["ab\x00cd", "ab\x07cd", "ab\x1bcd", "ab\x85cd"]


@pytest.mark.parametrize("value", UNFIT, ids=["nul", "bell", "escape", "c1"])
def test_a_character_no_field_can_hold_is_refused_beside_the_field(app, world, login, db, value):
    client = login("nimic.admin")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Invitation))
    for htmx in (False, True):
        response = client.post(
            "/invitations/new",
            {"email": "kontakti@iestade.lv.example", "suggested_name": value, "language": "en", "message": "Labdien"},
            htmx=htmx,
        )
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert re.search(r'id="suggested_name-error">\s*<li>This field contains characters that cannot be saved', html)
    # Line breaks: allowed in a text of several lines, named as such in a one-line field.
    response = client.post(
        "/invitations/new",
        {"email": "kontakti@iestade.lv.example", "suggested_name": "Iestāde\r\nBcc: x", "language": "en", "message": "a\r\nb\tc"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "must be a single line" in html and 'id="message-error"' not in html
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == before


def test_a_lone_surrogate_is_refused_too(app):
    """HTTP bodies decode invalid UTF-8 to U+FFFD, but JSON can spell a lone surrogate ("\\ud800")."""
    from werkzeug.datastructures import MultiDict

    from imi_web.invitations.forms import InvitationForm

    with app.test_request_context("/", method="POST", headers={"Accept-Language": "en"}):
        form = InvitationForm(formdata=MultiDict({"email": "a@b.lv", "suggested_name": "ab\ud800cd", "language": "en"}), meta={"csrf": False})
        assert not form.validate()
        assert "cannot be saved" in form.suggested_name.errors[0]


def test_a_query_string_with_such_a_character_is_400_with_our_page(app, world, login):
    client = login("nimic.admin")
    for url in ("/directory/?q=ab%00cd", "/directory/?q%01=x", "/authorities/?q=%1b", "/directory/?city=%C2%85"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert "The request could not be understood" in response.get_data(as_text=True)
        assert response.headers["Content-Security-Policy"] and response.headers["Cache-Control"] == "no-store"


def test_ids_beyond_the_database_integer_are_404(app, world, login):
    client = login("nimic.admin")
    for id_ in (2**31, 2**63, 10**30):
        for url in (f"/authorities/{id_}/authority", f"/directory/{id_}", f"/validation/{id_}"):
            assert client.get(url).status_code == 404, url
    assert client.get(f"/authorities/{2**31 - 1}/authority").status_code == 404  # the largest id: looked up


# --- out of scope looks like not there (point 5) ---------------------------------------------


def _normal(response, url):
    html = response.get_data(as_text=True).replace(url, "URL")
    return re.sub(r'(csrf[-_]token"[^>]*?(?:content|value)=")[^"]+', r"\1TOKEN", html)


def _same_answer(client, hidden_url, missing_url, method="GET", data=None):
    """``hidden_url`` (an object out of sight) answers exactly like ``missing_url`` (none)."""
    for htmx in (False, True):
        if method == "GET":
            hidden, missing = client.get(hidden_url, htmx=htmx), client.get(missing_url, htmx=htmx)
        else:
            hidden, missing = client.post(hidden_url, data, htmx=htmx), client.post(missing_url, data, htmx=htmx)
        assert (hidden.status_code, missing.status_code) == (404, 404), (hidden_url, htmx)
        # The same page, but for the address itself (the language buttons come back to it) and
        # the CSRF token (signed with the time).
        assert _normal(hidden, hidden_url) == _normal(missing, missing_url), (hidden_url, htmx)
        assert hidden.headers.get("Content-Type") == missing.headers.get("Content-Type")


def test_out_of_scope_answers_exactly_like_nonexistent(app, world, login, db, factory):
    from tests.invitations.conftest import registration_form  # noqa: F401  (the registration's data)

    from imi_web.invitations.operations import new_token

    victim = factory.user(world.estonia, username="ee.user")
    token, token_hash = new_token()
    foreign_invitation = Invitation(
        country_id=world.estonia.country_id,
        inviting_authority_id=world.estonia.id,
        invited_by_user_id=world.estonia_admin.id,
        token_hash=token_hash,
        status=InvitationStatus.SENT,
        email="x@ee.example",
        suggested_name="X",
        language="en",
        expires_at=world.estonia.created_at.replace(year=2100) if world.estonia.created_at else None,
    )
    registering = factory.authority(name="Pending EE", country="EE")
    foreign_invitation.authority = registering
    db.session.add(foreign_invitation)
    factory.commit()
    client = login("nimic.admin")  # LV: Estonia is another country
    missing = 2**31 - 1
    ee, user = world.estonia.id, victim.id
    for hidden, nonexistent in (
        (f"/authorities/{ee}/authority", f"/authorities/{missing}/authority"),
        (f"/authorities/{ee}/management/history", f"/authorities/{missing}/management/history"),
        (f"/authorities/{ee}/users/{user}", f"/authorities/{missing}/users/{user}"),
        (f"/authorities/{ee}/users/{user}/rights", f"/authorities/{missing}/users/{user}/rights"),
        (f"/validation/{registering.id}", f"/validation/{missing}"),
    ):
        _same_answer(client, hidden, nonexistent)
    for hidden, nonexistent, data in (
        (f"/authorities/{ee}/authority/edit", f"/authorities/{missing}/authority/edit", {"official_name": "X"}),
        (f"/authorities/{ee}/users/{user}/delete", f"/authorities/{missing}/users/{user}/delete", {}),
        (f"/invitations/{foreign_invitation.id}/revoke", f"/invitations/{missing}/revoke", {}),
        (f"/validation/{registering.id}/reject", f"/validation/{missing}/reject", {"reason": "no"}),
    ):
        _same_answer(client, hidden, nonexistent, "POST", data)
    db.session.expire_all()
    assert db.session.get(User, victim.id) is not None
    assert db.session.get(Invitation, foreign_invitation.id).status == InvitationStatus.SENT
    # Still a refusal on record (ASVS 7.2.2), though answered as "not there".
    refusals = db.session.scalars(sa.select(SecurityEvent).where(SecurityEvent.kind == "access_refused")).all()
    assert any(event.object == f"authority_id={ee}, user_id={user}" for event in refusals)


def test_403_remains_for_an_action_on_what_the_user_may_see(app, world, login, db):
    # The partial delegate (PQ only) sees the plain authority, but may not delegate.
    client = login("partial.admin")
    assert client.get(f"/authorities/{world.plain.id}/management").status_code == 200
    for htmx in (False, True):
        response = client.post(f"/authorities/{world.plain.id}/management/delegation", {"scope": "full"}, htmx=htmx)
        assert response.status_code == 403
    # Its own admins see their authority, but may not deactivate it.
    assert login("plain.admin").post(f"/authorities/{world.plain.id}/authority/deactivate").status_code == 403


# --- the error handler always works (point 2) -------------------------------------------------


@pytest.fixture
def app_config():
    return {"PROPAGATE_EXCEPTIONS": False}


SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Cache-Control")


def _assert_our_page(response, status, text):
    html = response.get_data(as_text=True)
    assert response.status_code == status, html[:1000]
    assert text in html, html[:1000]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


def test_a_failed_statement_still_gets_our_500_page_for_a_logged_in_user(app, world, login, db, backend):
    """On PostgreSQL a failed statement leaves the transaction unusable: the handler rolls back
    before rendering the menu (which asks the database)."""

    def fails():
        name = _db.session.get(User, world.nimic_admin.id).username
        _db.session.execute(sa.insert(User).values(authority_id=world.plain.id, username=name, first_name="A", surname="B",
                                                   email="a@b.lv", password_hash="x", language="lv"))

    app.add_url_rule("/test/fails", "test_fails", fails)
    client = login("nimic.admin")
    for htmx in (False, True):
        response = client.get("/test/fails", htmx=htmx)
        _assert_our_page(response, 500, "Something went wrong")
    assert "Administration" in client.get("/test/fails").get_data(as_text=True)  # the menu: the user was there


def _database_down_app(url):
    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "PROPAGATE_EXCEPTIONS": False})


def _check_503(app_under_test):
    for language, text in (("lv", "Pakalpojums īslaicīgi nav pieejams"), ("en", "The service is temporarily unavailable")):
        client = Client(app_under_test.test_client(), language=language)
        for htmx in (False, True):  # the link of an invitation looks up its token
            _assert_our_page(client.get("/register/" + "t" * 43, htmx=htmx), 503, text)
        _assert_our_page(client.post("/login", {"username": "x", "password": "y"}), 503, text)


def test_an_unreachable_database_gets_our_503_page_in_the_users_language(backend, tmp_path):
    if backend == "postgresql":
        url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/imi"
    else:
        url = "sqlite:///" + str(tmp_path / "no" / "such" / "dir" / "imi.sqlite3")
    _check_503(_database_down_app(url))


def test_a_database_that_stops_gets_our_503_page(backend, request):
    """A logged-in user's next request after the database went down: 503, our page, every header."""
    if backend != "postgresql":
        pytest.skip("SQLite has no server to stop (the unreachable file is tested above)")
    from tests.fixtures.postgres import Cluster

    request.getfixturevalue("postgres_cluster")  # skips (or fails under CI) without PostgreSQL
    cluster = Cluster()
    cluster.start()
    try:
        down = _database_down_app(cluster.url())
        with down.app_context():
            _db.create_all()
            factory = Factory(_db)
            factory.user(factory.authority(), username="someone", language="lv")
            factory.commit()
        client = Client(down.test_client(), language="en")
        client.raw.post("/language", data={"language": "lv", "next": "/", "csrf_token": client.csrf_token()})
        assert client.login("someone", Factory.PASSWORD).status_code == 303
        assert client.get("/").status_code == 200
    finally:
        cluster.stop()
    for htmx in (False, True):
        _assert_our_page(client.get("/", htmx=htmx), 503, "Pakalpojums īslaicīgi nav pieejams")
    _assert_our_page(client.post("/logout"), 503, "Pakalpojums īslaicīgi nav pieejams")


# --- no personal data in logs (point 6) ------------------------------------------------------


def test_a_failed_statement_is_logged_without_its_values(app, world, db, caplog):
    """An IntegrityError (a username taken twice) and a DataError: the log has the statement,
    never the e-mail or the name."""
    email, surname = "-".join(["ieva", "slepena"]) + "@private.example", "".join(["Slep", "ena"])

    def duplicate():
        authority = _db.session.get(Authority, world.plain.id)
        for _ in range(2):
            _db.session.add(
                User(authority=authority, username="same.name", first_name="Ieva", surname=surname,
                     email=email, password_hash="x", language="lv")
            )
        _db.session.flush()

    def too_long():
        _db.session.execute(sa.update(User).where(User.id == world.plain_admin.id).values(email=email, language="x" * 500))
        _db.session.flush()

    app.add_url_rule("/test/duplicate", "test_duplicate", duplicate)
    app.add_url_rule("/test/too-long", "test_too_long", too_long)
    client = Client(app.test_client())
    caplog.set_level(logging.DEBUG)
    assert client.get("/test/duplicate").status_code == 500
    client.get("/test/too-long")  # a DataError on PostgreSQL; SQLite stores it (no length check)
    assert "IntegrityError" in caplog.text and "[SQL parameters hidden due to hide_parameters=True]" in caplog.text
    assert email not in caplog.text and surname not in caplog.text


def test_every_form_of_the_application_checks_its_characters(backend):
    """One base for all: a form that bypassed ``Form`` would let NUL through to the database."""
    from flask_wtf import FlaskForm

    import imi_web.auth.forms, imi_web.authorities.forms, imi_web.invitations.forms  # noqa: E401,F401
    import imi_web.send_email.forms, imi_web.second_factor.forms, imi_web.users.forms  # noqa: E401,F401
    from imi_web.forms import Form

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [cls for cls in subclasses(FlaskForm) if cls.__module__.startswith("imi_web.")]
    assert len(ours) > 15
    assert [cls.__name__ for cls in ours if not issubclass(cls, Form)] == []


def test_a_json_body_fills_no_form_field(app, world, login, db):
    """Flask-WTF reads a JSON body as form data; a ``true`` where text is expected was a 500."""
    client = login("nimic.admin")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Authority))
    for body in ({"website": True, "official_name": ["x"]}, {"official_name": None}):
        response = client.raw.post(
            "/authorities/new", json=body, headers={"X-CSRFToken": client.csrf_token()}
        )
        assert response.status_code == 422
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Authority)) == before
