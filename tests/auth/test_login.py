"""Logging in (R-3.8, R-3.9): identical errors, blocking, forced changes, expiry, sessions."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from imi_web.models import HistoryEntry, PasswordStatus, User, UserStatus, utcnow
from tests.conftest import BACKENDS, Factory

pytestmark = pytest.mark.parametrize("backend", BACKENDS)

LOGIN_ERROR = "Login failed: the username or password is wrong, or the password is blocked."


def error_text(response):
    html = response.get_data(as_text=True)
    start = html.index('id="login-error"')
    return html[start : html.index("</div>", start)]


def test_login_page_and_successful_login(client, factory):
    user = factory.user(username="akalnina")
    factory.commit()
    page = client.get("/login")
    assert page.status_code == 200
    assert 'name="username"' in page.get_data(as_text=True)
    response = client.login("AKalnina", Factory.PASSWORD)  # usernames are case-insensitive
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert user.full_name in home.get_data(as_text=True)
    assert user.status == UserStatus.ACTIVE
    assert user.password_status() == PasswordStatus.VALID


def test_identical_error_for_unknown_user_wrong_password_and_blocked(client, factory, db):
    user = factory.user(username="blocked.one")
    factory.user(username="known.one")
    user.password_blocked_at = utcnow()
    factory.commit()
    unknown = client.login("nobody.here", Factory.PASSWORD)
    wrong = client.login("known.one", "Wrong-Password-1")
    blocked = client.login("blocked.one", Factory.PASSWORD)  # the right password, but blocked
    for response in (unknown, wrong, blocked):
        assert response.status_code == 422
        assert LOGIN_ERROR in response.get_data(as_text=True)
    assert error_text(unknown) == error_text(wrong) == error_text(blocked)


def test_five_failures_block_the_password(client, factory, db):
    user = factory.user(username="jozols")
    factory.commit()
    for attempt in range(1, 5):
        client.login("jozols", f"Wrong-Password-{attempt}")
        db.session.refresh(user)
        assert user.password_status() == PasswordStatus.VALID
        assert user.failed_login_count == attempt
    client.login("jozols", "Wrong-Password-5")
    db.session.refresh(user)
    assert user.password_status() == PasswordStatus.BLOCKED
    # Now even the right password is refused, with the same message.
    response = client.login("jozols", Factory.PASSWORD)
    assert response.status_code == 422
    assert LOGIN_ERROR in response.get_data(as_text=True)
    assert client.get("/").status_code == 303  # not logged in: to the login page
    entry = db.session.scalar(sa.select(HistoryEntry).where(HistoryEntry.action == "user.password_blocked"))
    assert entry.subject_id == user.id and entry.changes["password_status"] == ["valid", "blocked"]


def test_success_resets_the_failure_count(client, factory, db):
    user = factory.user(username="reset.count")
    factory.commit()
    for _ in range(4):
        client.login("reset.count", "Wrong-Password-1")
    client.login("reset.count", Factory.PASSWORD)
    db.session.refresh(user)
    assert user.failed_login_count == 0


def test_temporary_password_forces_a_change_everywhere(client, factory, db):
    user = factory.user(username="new.user", password="Temp-Pass-123", temporary=True)
    factory.commit()
    assert user.status == UserStatus.NEW and user.password_status() == PasswordStatus.TEMPORARY
    response = client.login("new.user", "Temp-Pass-123")
    assert response.headers["Location"] == "/account/password"
    db.session.refresh(user)
    assert user.status == UserStatus.ACTIVE
    # Every other page leads to the change form …
    assert client.get("/").headers["Location"] == "/account/password"
    # … and htmx requests get HX-Redirect instead of a swapped login page.
    htmx = client.get("/", htmx=True)
    assert htmx.status_code == 204
    assert htmx.headers["HX-Redirect"] == "/account/password"
    page = client.get("/account/password").get_data(as_text=True)
    assert "You are using a temporary password" in page
    bad = client.post(
        "/account/password",
        {"current_password": "Temp-Pass-123", "new_password": "short", "repeat_password": "short"},
    )
    assert bad.status_code == 422
    assert "The password must have at least 8 characters." in bad.get_data(as_text=True)
    db.session.refresh(user)
    assert user.password_status() == PasswordStatus.TEMPORARY  # nothing changed
    good = client.post(
        "/account/password",
        {"current_password": "Temp-Pass-123", "new_password": "My-Own-Pass-9", "repeat_password": "My-Own-Pass-9"},
    )
    assert good.status_code == 303 and good.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    db.session.refresh(user)
    assert user.password_status() == PasswordStatus.VALID


def test_password_expires_after_six_months(client, factory, db, app):
    user = factory.user(username="old.password")
    factory.commit()
    set_at = user.password_set_at
    max_age = timedelta(days=app.config["PASSWORD_MAX_AGE_DAYS"])
    with time_machine.travel(set_at + max_age - timedelta(minutes=1), tick=False):
        assert user.password_status() == PasswordStatus.VALID
    with time_machine.travel(set_at + max_age + timedelta(minutes=1), tick=False):
        assert user.password_status() == PasswordStatus.EXPIRED
        response = client.login("old.password", Factory.PASSWORD)
        assert response.headers["Location"] == "/account/password"
        assert "Your password has expired" in client.get("/account/password").get_data(as_text=True)
        client.post(
            "/account/password",
            {"current_password": Factory.PASSWORD, "new_password": "Fresh-Pass-2026", "repeat_password": "Fresh-Pass-2026"},
        )
        db.session.refresh(user)
        assert user.password_status() == PasswordStatus.VALID
        assert client.get("/").status_code == 200


def test_new_session_at_login_and_password_change_ends_other_sessions(app, factory, db):
    from tests.conftest import Client

    factory.user(username="two.browsers")
    factory.commit()
    first, second = Client(app.test_client()), Client(app.test_client())
    first.raw.get("/login")
    before = first.raw.get_cookie("imi_session").value
    first.login("two.browsers", Factory.PASSWORD)
    assert first.raw.get_cookie("imi_session").value != before
    second.login("two.browsers", Factory.PASSWORD)
    assert first.get("/").status_code == 200 and second.get("/").status_code == 200
    first.post(
        "/account/password",
        {"current_password": Factory.PASSWORD, "new_password": "Another-Pass-1", "repeat_password": "Another-Pass-1"},
    )
    assert first.get("/").status_code == 200  # this browser stays logged in
    assert second.get("/").status_code == 303  # the other session has ended


def test_logout_is_post_only_and_csrf_protected(client, factory):
    factory.user(username="leaving")
    factory.commit()
    client.login("leaving", Factory.PASSWORD)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout", csrf=False).status_code == 400  # no CSRF token
    assert client.get("/").status_code == 200  # still logged in
    response = client.logout()
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert client.get("/").status_code == 303


def test_next_parameter_only_redirects_to_our_own_paths(client, factory):
    factory.user(username="redirected")
    factory.commit()
    for target, expected in [
        ("/account/password", "/account/password"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ]:
        response = client.post("/login", {"username": "redirected", "password": Factory.PASSWORD, "next": target})
        assert response.headers["Location"] == expected, target
        client.logout()


def test_users_of_an_inactive_authority_cannot_log_in(client, factory):
    from imi_web.models import AuthorityStatus

    authority = factory.authority(status=AuthorityStatus.AWAITING_VALIDATION)
    factory.user(authority=authority, username="waiting")
    factory.commit()
    response = client.login("waiting", Factory.PASSWORD)
    assert response.status_code == 422 and LOGIN_ERROR in response.get_data(as_text=True)


def test_user_model_reports_status(factory):
    user = factory.user()
    assert isinstance(user, User)
    assert user.status == UserStatus.NEW


def test_session_lasts_eight_hours_from_login_however_busy(client, factory):
    """A session ends 8 hours after the login (ASVS 3.3: re-authentication once a working day),
    however busy; the cookie is not re-signed on every page."""
    factory.user(username="all.day")
    factory.commit()
    with time_machine.travel(utcnow(), tick=False) as clock:
        client.login("all.day", Factory.PASSWORD)
        client.get("/")  # the first page adds the CSRF token to the session
        for _step in range(23):  # a page every 20 minutes, for 7 h 40 min
            clock.shift(timedelta(minutes=20))
            page = client.raw.get("/")
            assert page.status_code == 200
            assert "imi_session" not in page.headers.get("Set-Cookie", "")  # not re-issued
        client.post("/language", {"language": "en"})  # a change re-signs the cookie…
        clock.shift(timedelta(minutes=19))
        assert client.get("/").status_code == 200  # 7 h 59 min after the login
        clock.shift(timedelta(minutes=2))
        assert client.get("/").status_code == 303  # …but 8 h 1 min after the login it ends


@pytest.mark.parametrize("days, works", [(6, True), (8, False)])
def test_a_temporary_password_works_for_seven_days(client, factory, db, login_world, days, works):
    """ASVS 2.3.1: an unused temporary password expires (IMI_TEMPORARY_PASSWORD_VALID_DAYS, 7);
    the login says exactly what it says for a wrong password, and the administrator sees
    "expired"."""
    admin = factory.user(login_world, username="the.admin", is_admin=True)
    with time_machine.travel(utcnow() - timedelta(days=days), tick=False):
        user = factory.user(login_world, username="late.starter", password="Temp-Pass-123", temporary=True)
        factory.commit()
    response = client.login("late.starter", "Temp-Pass-123")
    if works:
        assert response.status_code == 303 and response.headers["Location"] == "/account/password"
        return
    assert response.status_code == 422
    wrong = client.login("late.starter", "Wrong-Pass-123")
    assert error_text(response) == error_text(wrong)
    db.session.refresh(user)
    assert user.password_status() == PasswordStatus.EXPIRED and user.failed_login_count == 1  # only the wrong one
    client.login(admin.username, Factory.PASSWORD)
    users_tab = client.get(f"/authorities/{login_world.id}/users").get_data(as_text=True)
    row = users_tab[users_tab.index(f'id="user-{user.id}"') :]
    assert "expired" in row[: row.index("</tr>")]


@pytest.fixture
def login_world(factory):
    return factory.authority(name="Jūrmalas dome")


def test_every_failure_costs_one_password_check(app, client, factory, monkeypatch):
    """The same timing class for every failure: one Argon2 verification each, never more or
    fewer (an unknown user is checked against a dummy hash)."""
    import argon2

    factory.user(username="known.user")
    factory.user(username="blocked.user", password_blocked_at=utcnow())
    with time_machine.travel(utcnow() - timedelta(days=8), tick=False):
        factory.user(username="stale.temp", password="Temp-Pass-123", temporary=True)
    factory.commit()
    calls = []
    original = argon2.PasswordHasher.verify

    def counting(self, hash, password):
        calls.append(password)
        return original(self, hash, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting)
    for username, password in [
        ("nobody.at.all", "Wrong-Pass-123"),
        ("known.user", "Wrong-Pass-123"),
        ("blocked.user", Factory.PASSWORD),
        ("stale.temp", "Temp-Pass-123"),
    ]:
        calls.clear()
        assert client.login(username, password).status_code == 422
        assert len(calls) == 1, username


def test_a_user_without_a_password_cannot_log_in_with_any(client, factory):
    """A user who has no password (an invited authority's first user before validation, say)
    is refused like a wrong password, whatever is typed: a missing hash fails closed.
    Found by mutation testing (docs/mutation.md)."""
    user = factory.user(username="no.password")
    user.password_hash = None
    factory.commit()
    for password in ("anything", Factory.PASSWORD):
        response = client.login("no.password", password)
        assert response.status_code == 422 and "/login" not in response.headers.get("Location", "")
