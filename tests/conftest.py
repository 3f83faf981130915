"""Shared fixtures: the app on a real database, an htmx-aware client, factories, real SMTP.

Database-facing tests run on SQLite, and, where a module sets
``pytestmark = pytest.mark.parametrize("backend", BACKENDS)``, on PostgreSQL too (a
throwaway cluster the tests start themselves, see fixtures/postgres.py).
"""

import os
import re
import secrets
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from imi_web import create_app
from tests.fixtures import in_ci
from imi_web.extensions import db as _db
from imi_web.models import (
    Authority,
    AuthorityStatus,
    Country,
    DelegationScope,
    Module,
    ModuleRight,
    User,
    utcnow,
)
from imi_web.passwords import hash_password
from imi_web.models.search_index import rebuild_search_index

pytest_plugins = [
    "tests.fixtures.smtp",
    "tests.fixtures.postgres",
    "tests.fixtures.browser",
    "tests.fixtures.accessibility",
    "tests.fixtures.query_count",
]

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
IN_CI = in_ci()

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-not-for-production",
    "SESSION_COOKIE_SECURE": False,
    "MAIL_DELIVERY_THREAD": False,
    "MAIL_SERVER": None,
    "PASSWORD_HASH_PROFILE": "CHEAPEST",
    "BASE_URL": "https://imi.example.test",
}


def compile_catalogs() -> None:
    """Compile every ``messages.po`` whose ``.mo`` is missing or older (the app loads the .mo)."""
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=po_path.parent.parent.name)
        tmp_path = mo_path.with_name(f".{mo_path.name}.{os.getpid()}.tmp")
        with tmp_path.open("wb") as fh:
            write_mo(fh, catalog)
        os.replace(tmp_path, mo_path)  # atomic: a concurrent test run never reads half a file


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs():
    """The app reads .mo files, which git does not keep: compile them for any test run."""
    compile_catalogs()


@pytest.fixture
def backend():
    """The database backend of a test; modules parametrize it to run on both."""
    return "sqlite"


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory):
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


_schemas_created = set()


@pytest.fixture
def database_url(request, backend, sqlite_url):
    if backend == "postgresql":
        return request.getfixturevalue("postgres_url")
    return sqlite_url


@pytest.fixture
def app_config(database_url):
    """Override in a test module to change settings."""
    return {}


@pytest.fixture
def app(database_url, app_config):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **app_config})
    app.test_client_class = IsolatedFlaskClient
    with app.app_context():
        if database_url not in _schemas_created:
            _db.drop_all()
            _db.create_all()
            _schemas_created.add(database_url)
        yield app
        _db.session.remove()
        # Leave nothing behind: empty every table, children first.
        with _db.engine.begin() as conn:
            for table in reversed(_db.metadata.sorted_tables):
                conn.execute(table.delete())
            # Plain DELETEs bypass the ORM events that keep SQLite's name index in step.
            rebuild_search_index(conn)
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


class IsolatedFlaskClient(FlaskClient):
    """Each request gets a fresh app context, as in production.

    The fixtures keep an app context pushed for the test's own database work; without
    this, Flask would reuse it for requests, sharing ``g`` (and the CSRF token and the
    logged-in user cached there) and the SQLAlchemy session between requests.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


class Client:
    """A test client that knows the CSRF token of its session and can speak htmx."""

    def __init__(self, flask_client, language="en"):
        self.raw = flask_client
        # Tests read English text unless they ask for another language.
        flask_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language

    def csrf_token(self) -> str:
        page = self.raw.get("/login").get_data(as_text=True)
        if 'name="csrf-token"' not in page:
            page = self.raw.get("/account/password").get_data(as_text=True)
        match = re.search(r'name="csrf-token" content="([^"]+)"', page)
        assert match, "no CSRF token on the page"
        return match.group(1)

    def get(self, url, htmx=False, **kw):
        if htmx:
            kw.setdefault("headers", {})["HX-Request"] = "true"
        return self.raw.get(url, **kw)

    def post(self, url, data=None, htmx=False, csrf=True, **kw):
        data = dict(data or {})
        headers = kw.setdefault("headers", {})
        if csrf:
            token = self.csrf_token()
            if htmx:
                headers["X-CSRFToken"] = token
            else:
                data.setdefault("csrf_token", token)
        if htmx:
            headers["HX-Request"] = "true"
        return self.raw.post(url, data=data, **kw)

    def login(self, username, password):
        return self.post("/login", {"username": username, "password": password})

    def logout(self):
        return self.post("/logout")


@pytest.fixture
def client(app):
    return Client(app.test_client())


class Factory:
    """Builds countries, authorities, modules and users straight in the database."""

    PASSWORD = "Correct-Horse-9"

    def __init__(self, db):
        self.db = db

    def country(self, code="LV", name_lv="Latvija", name_en="Latvia"):
        country = self.db.session.scalar(sa.select(Country).where(Country.code == code))
        if country is None:
            country = Country(code=code, name_lv=name_lv, name_en=name_en)
            self.db.session.add(country)
            self.db.session.flush()
        return country

    def authority(self, name=None, country="LV", **kw):
        kw.setdefault("status", AuthorityStatus.ACTIVE)
        authority = Authority(
            country=self.country(country),
            official_name=name or f"Iestāde {secrets.token_hex(3)}",
            **kw,
        )
        self.db.session.add(authority)
        self.db.session.flush()
        return authority

    def nimic(self, country="LV"):
        return self.authority(
            name=f"NIMIC {country}", country=country, is_nimic=True, access_manager_scope=DelegationScope.FULL
        )

    def module(self, code="SVC", rights=("SEND", "REPLY"), **kw):
        module = Module(code=code, name_lv=f"Modulis {code}", name_en=f"Module {code}", **kw)
        module.rights = [ModuleRight(code=r, name_lv=f"Tiesības {r}", name_en=f"Right {r}") for r in rights]
        self.db.session.add(module)
        self.db.session.flush()
        return module

    def user(self, authority=None, username=None, password=PASSWORD, temporary=False, **kw):
        authority = authority or self.authority()
        kw.setdefault("first_name", "Anna")
        kw.setdefault("surname", "Kalniņa")
        kw.setdefault("email", f"{secrets.token_hex(4)}@example.lv")
        kw.setdefault("language", "en")  # tests read English unless they ask otherwise
        user = User(
            authority=authority,
            username=username or f"user{secrets.token_hex(4)}",
            password_hash=hash_password(password),
            password_is_temporary=temporary,
            password_set_at=utcnow(),
            **kw,
        )
        self.db.session.add(user)
        self.db.session.flush()
        return user

    def commit(self):
        self.db.session.commit()


@pytest.fixture
def factory(db):
    return Factory(db)
