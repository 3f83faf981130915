"""Server-side sign-in sessions (issue 14): logout ends a copied cookie too, idle and absolute
timeouts at their edges, activity written at most once a minute, My profile → Sessions."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from imi_web.models import AccessStatus, HistoryEntry, ModuleAccess, ModuleRole, SecurityEvent, UserSession, utcnow
from tests.authorities.conftest import login, world  # noqa: F401  (fixtures)
from tests.conftest import BACKENDS, Client, Factory

pytestmark = pytest.mark.parametrize("backend", BACKENDS)

COOKIE = "imi_session"
ENDED = "Your session has ended. Please log in again."
IDLE = "Your session has ended because it was not used for 30 minutes. Please log in again."
ABSOLUTE = "Your session has ended: a session lasts at most 8 hours after logging in. Please log in again."


def session_rows(db, user=None):
    db.session.expire_all()
    query = sa.select(UserSession).order_by(UserSession.id)
    if user is not None:
        query = query.where(UserSession.user_id == user.id)
    return db.session.scalars(query).all()


def events(db, kind):
    db.session.expire_all()
    return db.session.scalars(sa.select(SecurityEvent).where(SecurityEvent.kind == kind).order_by(SecurityEvent.id)).all()


def copy_of(app, client) -> Client:
    """Another browser holding a copy of ``client``'s session cookie (an attacker's replay)."""
    thief = Client(app.test_client())
    thief.raw.set_cookie(COOKIE, client.raw.get_cookie(COOKIE).value)
    return thief


def login_message(client) -> str:
    return client.get("/login").get_data(as_text=True)


@pytest.fixture
def active_access(world, db, factory):  # noqa: F811
    access = ModuleAccess(authority=world.plain, module=world.svc, role=ModuleRole.AUTHORITY)
    db.session.add(access)
    factory.commit()
    return access


def test_logout_deletes_the_session_and_a_replayed_cookie_changes_nothing(app, world, active_access, login, db):  # noqa: F811
    admin = login("nimic.admin")
    [record] = session_rows(db, world.nimic_admin)
    assert record.address == "127.0.0.1" and record.browser  # the test client's User-Agent
    token = admin.csrf_token()
    assert record.token_hash not in admin.raw.get_cookie(COOKIE).value  # the table holds only the token's hash

    thief = copy_of(app, admin)  # copied while the session is alive
    assert thief.get("/").status_code == 200
    assert admin.logout().status_code == 303
    assert session_rows(db, world.nimic_admin) == []

    suspend = f"/authorities/{world.plain.id}/modules/{active_access.id}/suspend"
    page = thief.raw.post(suspend, data={"csrf_token": token})
    assert page.status_code == 303 and page.headers["Location"].startswith("/login")
    assert ENDED in login_message(thief)
    partial = thief.raw.post(suspend, headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert partial.status_code == 204 and partial.headers["HX-Redirect"].startswith("/login")
    db.session.expire_all()
    assert db.session.get(ModuleAccess, active_access.id).status == AccessStatus.ACTIVE
    assert db.session.scalar(sa.select(HistoryEntry).where(HistoryEntry.action == "module_access.suspended")) is None
    assert thief.get("/").status_code == 303
    assert [e.user_id for e in events(db, "logout")] == [world.nimic_admin.id]


def test_a_new_session_at_each_login_never_the_old_cookie(client, factory, db):
    user = factory.user(username="fixation")
    factory.commit()
    client.raw.get("/login")
    anonymous = client.raw.get_cookie(COOKIE).value
    client.login("fixation", Factory.PASSWORD)
    first = client.raw.get_cookie(COOKIE).value
    assert first != anonymous
    client.logout()
    client.login("fixation", Factory.PASSWORD)
    assert client.raw.get_cookie(COOKIE).value != first
    assert len(session_rows(db, user)) == 1


def test_idle_timeout_at_its_edge_for_a_page(client, factory, db):
    user = factory.user(username="idle.page")
    factory.commit()
    with time_machine.travel(utcnow(), tick=False) as clock:
        client.login("idle.page", Factory.PASSWORD)
        clock.shift(timedelta(minutes=29, seconds=59))
        assert client.get("/").status_code == 200  # recorded: the last activity moves on
        clock.shift(timedelta(minutes=29, seconds=59))
        assert client.get("/").status_code == 200
        clock.shift(timedelta(minutes=30))
        ended = client.get("/")
        assert ended.status_code == 303 and ended.headers["Location"] == "/login?next=/"
        assert IDLE in login_message(client)
        assert session_rows(db, user) == []
    [event] = events(db, "session_timed_out")
    assert (event.user_id, event.reason) == (user.id, "idle")


def test_idle_timeout_of_an_htmx_request_sends_the_browser_to_the_login_page(client, factory, db):
    factory.user(username="idle.htmx", language="lv")
    factory.commit()
    with time_machine.travel(utcnow(), tick=False) as clock:
        client.login("idle.htmx", Factory.PASSWORD)
        clock.shift(timedelta(minutes=30))
        ended = client.get("/account/sessions", htmx=True)
        assert ended.status_code == 204 and ended.headers["HX-Redirect"] == "/login?next=/account/sessions"
        # In the user's language: the session remembered it.
        assert "nebija izmantota 30 minūtes" in login_message(client)


def test_absolute_lifetime_at_its_edge_however_busy(client, factory, db):
    user = factory.user(username="long.day")
    factory.commit()
    with time_machine.travel(utcnow(), tick=False) as clock:
        client.login("long.day", Factory.PASSWORD)
        for _step in range(23):
            clock.shift(timedelta(minutes=20))
            assert client.get("/").status_code == 200
        clock.shift(timedelta(minutes=19, seconds=59))  # 7 h 59 min 59 s after the login
        assert client.get("/", htmx=True).status_code == 200
        clock.shift(timedelta(seconds=1))
        ended = client.get("/", htmx=True)
        assert ended.status_code == 204 and ended.headers["HX-Redirect"].startswith("/login")
        assert ABSOLUTE in login_message(client)
    [event] = events(db, "session_timed_out")
    assert (event.user_id, event.reason) == (user.id, "absolute")


def test_activity_is_written_at_most_once_a_minute(app, client, factory, db):
    user = factory.user(username="busy.bee")
    factory.commit()
    writes = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE USER_SESSION"):
            writes.append(statement)

    with time_machine.travel(utcnow(), tick=False) as clock:
        client.login("busy.bee", Factory.PASSWORD)
        start = session_rows(db, user)[0].last_seen_at
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            for _ in range(5):
                clock.shift(timedelta(seconds=11))
                assert client.get("/").status_code == 200
            assert writes == []  # 55 s of pages: nothing written
            clock.shift(timedelta(seconds=5))
            assert client.get("/").status_code == 200
            assert len(writes) == 1
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        [later] = session_rows(db, user)
        assert later.last_seen_at - start == timedelta(seconds=60)


def test_one_query_loads_the_session_and_the_user(client, factory, db, query_count):
    factory.user(username="one.read")
    factory.commit()
    client.login("one.read", Factory.PASSWORD)
    client.get("/")
    with query_count.statements() as statements:
        assert client.get("/account/sessions").status_code == 200
    reading_the_session = [s for s in statements if "WHERE user_session.token_hash =" in s]
    assert len(reading_the_session) == 1 and "JOIN authority" in reading_the_session[0]


def test_sessions_page_and_log_out_other_sessions(app, factory, db):
    user = factory.user(username="two.places")
    factory.commit()
    office, phone = Client(app.test_client()), Client(app.test_client())
    phone.raw.environ_base["HTTP_USER_AGENT"] = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
    )
    phone.raw.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    office.login("two.places", Factory.PASSWORD)
    phone.login("two.places", Factory.PASSWORD)
    page = office.get("/account/sessions")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "2 active sessions" in html and "Firefox 133 · Windows 10" in html and "192.0.2.7" in html
    assert "This session" in html and "Log out other sessions" in html

    assert office.post("/account/sessions/others", csrf=False).status_code == 400  # CSRF
    assert phone.get("/").status_code == 200

    done = office.post("/account/sessions/others")
    assert done.status_code == 303
    assert "1 other session has been logged out." in office.get("/account/sessions").get_data(as_text=True)
    assert phone.get("/").status_code == 303  # at once
    assert office.get("/").status_code == 200
    assert len(session_rows(db, user)) == 1
    [event] = events(db, "sessions_ended")
    assert (event.user_id, event.reason, event.count) == (user.id, "logged_out_elsewhere", 1)


def test_log_out_one_session_never_someone_elses(app, factory, db):
    user = factory.user(username="mine.only")
    stranger = factory.user(username="stranger")
    factory.commit()
    mine, mine_too, theirs = (Client(app.test_client()) for _ in range(3))
    mine.login("mine.only", Factory.PASSWORD)
    mine_too.login("mine.only", Factory.PASSWORD)
    theirs.login("stranger", Factory.PASSWORD)
    [current, other] = session_rows(db, user)
    [foreign] = session_rows(db, stranger)
    assert mine.post(f"/account/sessions/{foreign.id}").status_code == 404
    assert mine.post(f"/account/sessions/{current.id}").status_code == 404  # not this one: Log out is for that
    assert theirs.get("/").status_code == 200 and mine.get("/").status_code == 200
    assert mine.post(f"/account/sessions/{other.id}").status_code == 303
    assert mine_too.get("/").status_code == 303 and mine.get("/").status_code == 200


def test_the_job_removes_sessions_that_timed_out_unseen(app, factory, db):
    from imi_web.jobs import run_jobs

    user = factory.user(username="gone.home")
    factory.commit()
    with time_machine.travel(utcnow(), tick=False) as clock:
        Client(app.test_client()).login("gone.home", Factory.PASSWORD)
        fresh = Client(app.test_client())
        clock.shift(timedelta(minutes=31))
        fresh.login("gone.home", Factory.PASSWORD)
        reports = dict(run_jobs())
        assert fresh.get("/").status_code == 200
    assert reports["ended-sessions"] == "1 timed-out sessions removed"
    assert len(session_rows(db, user)) == 1
    [event] = events(db, "session_timed_out")
    assert event.user_id == user.id and event.reason == "idle"
