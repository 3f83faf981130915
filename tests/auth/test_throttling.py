"""Throttling of the anonymous pages (Flask-Limiter): 429 with Retry-After and our page."""

import time
import types

import flask_limiter._extension
import limits.storage.memory
import limits.strategies
import pytest
import sqlalchemy as sa

from imi_web.extensions import db, limiter
from imi_web.models import SecurityEvent
from tests.conftest import BACKENDS, Client, Factory

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


@pytest.fixture(autouse=True)
def each_test_starts_a_window(monkeypatch):
    """The sliding-window counter (RATELIMIT_STRATEGY) weighs the hits of the previous window
    by how much of it is still within the period, so a burst that straddles a window's edge
    counts as fewer hits than it is, and "the 11th attempt is refused" would fail now and then
    (more often on a slow machine). The limiter's clock — limits and Flask-Limiter read
    ``time.time()`` — is shifted so that each test starts one second into an hour: every
    window (a minute, 15 minutes, an hour) begins with the test."""
    real_time = time.time
    shift = real_time() % 3600 - 1
    clock = types.SimpleNamespace(**{name: getattr(time, name) for name in dir(time) if not name.startswith("_")})
    clock.time = lambda: real_time() - shift
    for module in (limits.storage.memory, limits.strategies, flask_limiter._extension):
        monkeypatch.setattr(module, "time", clock)


def failed_login(client, username="nobody", address=None):
    if address is not None:
        client.raw.environ_base["REMOTE_ADDR"] = address
    return client.login(username, "Wrong-Password-1")


def test_failed_logins_per_address_get_429_after_the_limit(client, factory, db):
    factory.user(username="real.user")
    factory.commit()
    for attempt in range(10):  # LOGIN_LIMIT_PER_ADDRESS: 10 per minute
        assert failed_login(client, f"guess{attempt}").status_code == 422
    throttled = failed_login(client, "guess10")
    assert throttled.status_code == 429
    assert 1 <= int(throttled.headers["Retry-After"]) <= 60
    html = throttled.get_data(as_text=True)
    assert "Too many attempts" in html and "Please wait" in html
    assert throttled.headers["Content-Security-Policy"]  # our page, with our headers
    # Even the right password waits: the limit is the address's.
    assert client.login("real.user", Factory.PASSWORD).status_code == 429
    # Another address is not concerned.
    other = Client(client.raw.application.test_client())
    other.raw.environ_base["REMOTE_ADDR"] = "192.0.2.1"
    assert other.login("real.user", Factory.PASSWORD).status_code == 303
    [event] = db.session.scalars(sa.select(SecurityEvent).where(SecurityEvent.kind == "request_throttled")).all()[:1]
    assert event.route == "auth.login" and event.username == "guess10" and event.address == "127.0.0.1"


def test_successful_logins_do_not_count(client, factory):
    factory.user(username="office")
    factory.commit()
    for _ in range(15):  # a busy office behind one address
        assert client.login("office", Factory.PASSWORD).status_code == 303
        client.logout()


def test_failed_logins_per_username_from_many_addresses(app, factory, db):
    user = factory.user(username="target")
    factory.commit()
    for attempt in range(10):  # LOGIN_LIMIT_PER_USERNAME: 10 per 15 minutes, whatever the address
        client = Client(app.test_client())
        assert failed_login(client, "Target", f"198.51.100.{attempt}").status_code == 422
    db.session.refresh(user)
    assert user.password_blocked_at is not None  # the block of came first, after 5
    late = Client(app.test_client())
    assert failed_login(late, "target", "203.0.113.9").status_code == 429
    assert Client(app.test_client()).login("someone.else", "x").status_code == 422  # other usernames go on


def test_the_429_page_is_in_the_readers_language(app):
    client = Client(app.test_client(), language="lv")
    for _ in range(10):
        failed_login(client)
    page = failed_login(client)
    assert page.status_code == 429
    assert "Pārāk daudz mēģinājumu" in page.get_data(as_text=True)


def test_invitation_link_and_registration_form_are_throttled(client):
    for attempt in range(20):  # REGISTRATION_LIMIT_PER_ADDRESS: 20 per minute, link and form together
        url = f"/register/not-a-token-{attempt}" if attempt % 2 else "/register/"
        assert client.get(url).status_code in (303, 404)
    assert client.get("/register/one-more").status_code == 429
    assert client.get("/register/").status_code == 429


def test_a_redis_storage_setting_is_read(app, database_url, factory):
    """No Redis server is needed: the setting is read, and while the storage cannot be reached
    the limits are counted in memory rather than refusing every login."""
    from limits.storage import RedisStorage

    from imi_web import create_app
    from tests.conftest import TEST_CONFIG, IsolatedFlaskClient

    factory.user(username="still.works")
    factory.commit()
    shared = create_app(
        {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0"}
    )
    shared.test_client_class = IsolatedFlaskClient
    assert isinstance(limiter.storage, RedisStorage)
    assert limiter.storage.storage.connection_pool.connection_kwargs["port"] == 1
    client = Client(shared.test_client())
    for _ in range(10):
        assert failed_login(client).status_code == 422
    assert failed_login(client).status_code == 429  # counted in memory meanwhile
    assert Client(shared.test_client()).login("still.works", Factory.PASSWORD).status_code == 429
    other = Client(shared.test_client())
    other.raw.environ_base["REMOTE_ADDR"] = "192.0.2.2"
    assert other.login("still.works", Factory.PASSWORD).status_code == 303
    with shared.app_context():
        db.engine.dispose()  # the second app's connections, before the next test
