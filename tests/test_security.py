"""Security baseline: headers, cookies, CSRF (htmx too), size limit, error pages, config."""

import re

import pytest

from imi_web import create_app
from imi_web.config import Defaults
from tests.conftest import Factory


def test_security_headers_and_csp_without_inline_script(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    # No inline script or style, and no inline event handlers anywhere on the page.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html and " style=" not in html
    assert not re.search(r"\son[a-z]+=", html)
    assert "htmx-2.0.11.min.js" in html


def test_session_cookie_flags_in_production_defaults(tmp_path):
    assert Defaults.SESSION_COOKIE_SECURE is True
    assert Defaults.SESSION_COOKIE_HTTPONLY is True
    assert Defaults.SESSION_COOKIE_SAMESITE == "Lax"
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "x.sqlite3"), "SECRET_KEY": "k"})
    with app.test_client() as c:
        response = c.get("/login")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    # __Host-: the browser keeps it to this host, path / and https (issue 14).
    assert cookie.startswith("__Host-imi_session=") and "Path=/;" in cookie and "Domain" not in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize(
    "settings, name",
    [
        ({"SESSION_COOKIE_SECURE": False}, "imi_session"),  # plain http (make run): no prefix possible
        ({"SESSION_COOKIE_DOMAIN": "imi.example.lv"}, "__Secure-imi_session"),  # shared with a domain
        ({"SESSION_COOKIE_NAME": "__Host-own"}, "__Host-own"),
    ],
)
def test_session_cookie_prefix_follows_the_settings(tmp_path, settings, name):
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "x.sqlite3"), "SECRET_KEY": "k", **settings})
    assert app.config["SESSION_COOKIE_NAME"] == name


def test_session_follows_the_secret_key_and_its_fallbacks(app, client, factory):
    """A new key refuses the old cookies at once, and listing the old key as a fallback keeps them."""
    factory.user(username="key.user", is_admin=False)
    factory.commit()
    client.login("key.user", Factory.PASSWORD)
    assert client.get("/").status_code == 200
    old = app.secret_key
    app.secret_key = "a-new-key"
    assert client.get("/").headers["Location"].startswith("/login")
    app.config["SECRET_KEY_FALLBACKS"] = [old]
    assert client.get("/").status_code == 200
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert client.get("/").headers["Location"].startswith("/login")


def test_secret_key_is_generated_once_and_kept_in_instance(tmp_path, monkeypatch):
    from imi_web import config as config_module

    monkeypatch.delenv("IMI_SECRET_KEY", raising=False)
    first = config_module._instance_secret(str(tmp_path))
    second = config_module._instance_secret(str(tmp_path))
    assert first == second and len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_prefixed_environment_configures_everything(monkeypatch, tmp_path):
    monkeypatch.setenv("IMI_MAIL_SERVER", "smtp.example.lv")
    monkeypatch.setenv("IMI_MAIL_PORT", "2525")
    monkeypatch.setenv("IMI_BASE_URL", "https://imi.example.lv")
    monkeypatch.setenv("IMI_SECRET_KEY", "from-env")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example.lv/imi")
    app = create_app()
    assert app.config["MAIL_SERVER"] == "smtp.example.lv"
    assert app.config["MAIL_PORT"] == 2525
    assert app.config["BASE_URL"] == "https://imi.example.lv"
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example.lv/imi"
    monkeypatch.setenv("IMI_SQLALCHEMY_DATABASE_URI", "sqlite:///" + str(tmp_path / "y.sqlite3"))
    assert create_app().config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")


def test_request_size_limit(client):
    response = client.raw.post("/login", data={"username": "x" * (2 * 1024 * 1024), "password": "y"})
    assert response.status_code == 413


def test_htmx_requests_need_the_csrf_header(client, factory):
    factory.user(username="htmx.user", language="en")
    factory.commit()
    client.login("htmx.user", Factory.PASSWORD)
    refused = client.post("/language", {"language": "lv"}, htmx=True, csrf=False)
    assert refused.status_code == 400
    accepted = client.post("/language", {"language": "lv"}, htmx=True)
    assert accepted.status_code == 303


def test_error_pages_full_and_partial(client, factory):
    factory.user(username="lost", language="en")
    factory.commit()
    client.login("lost", Factory.PASSWORD)
    page = client.get("/no-such-page")
    assert page.status_code == 404 and "<html" in page.get_data(as_text=True)
    assert "Page not found" in page.get_data(as_text=True)
    fragment = client.get("/no-such-page", htmx=True)
    assert fragment.status_code == 404 and "<html" not in fragment.get_data(as_text=True)
    assert "Page not found" in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]


def test_pages_require_login(client):
    response = client.get("/")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login?next=")
    htmx = client.get("/", htmx=True)
    assert htmx.status_code == 204 and htmx.headers["HX-Redirect"].startswith("/login")


@pytest.mark.parametrize("path", ["/", "/account/password"])
def test_menu_shows_only_existing_usable_entries(client, factory, path):
    factory.user(username="menu.user", language="en", is_admin=False)
    factory.commit()
    client.login("menu.user", Factory.PASSWORD)
    html = client.get(path).get_data(as_text=True)
    assert 'aria-label="Main menu"' in html
    assert "Change password" in html
    # No entry leads to a page that does not exist in this installation.
    for href in re.findall(r'<nav class="main-menu".*?</nav>', html, re.S)[0].split('href="')[1:]:
        assert client.get(href.split('"')[0]).status_code == 200


def test_an_authority_administrator_reaches_their_authority_from_the_menu_and_home(client, factory):
    """Issue 18 (R-3.10): "My authority" in the menu and on the home page, for its administrators."""
    authority = factory.authority(name="Jūrmalas dome")
    factory.user(authority=authority, username="own.admin", is_admin=True)
    factory.user(authority=authority, username="own.user", is_admin=False)
    factory.commit()
    client.login("own.admin", Factory.PASSWORD)
    home = client.get("/").get_data(as_text=True)
    link = f'href="/authorities/{authority.id}/authority"'
    assert home.count(link) == 2  # the menu and the "My authority" box
    tab = client.get(f"/authorities/{authority.id}/users").get_data(as_text=True)
    assert f'<a {link} aria-current="page">My authority</a>' in tab
    client.logout()
    client.login("own.user", Factory.PASSWORD)
    assert link not in client.get("/").get_data(as_text=True)
