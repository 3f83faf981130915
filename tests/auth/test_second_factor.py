"""A second factor (issue 16): authenticator app (TOTP) enrolment and sign-in, replay and drift,
recovery codes, the block after 5 failures, the password step alone granting nothing, the
IMI_SECOND_FACTOR_REQUIRED policy and the reset by an administrator."""

import re
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa
import time_machine

from imi_web.outbox import deliver_pending
from imi_web.models import AuthenticatorApp, HistoryEntry, Passkey, RecoveryCode, SecurityEvent, User, UserSession, utcnow
from tests.authorities.conftest import login, world  # noqa: F401  (fixtures)
from tests.conftest import BACKENDS, Client, Factory

pytestmark = pytest.mark.parametrize("backend", BACKENDS)

SECOND_STEP = "/login/second-factor"


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.config()


def events(db, kind):
    db.session.expire_all()
    return db.session.scalars(sa.select(SecurityEvent).where(SecurityEvent.kind == kind).order_by(SecurityEvent.id)).all()


def enrol_app(client) -> tuple[str, list[str]]:
    """Set up an authenticator app as the logged-in user; returns its secret and recovery codes."""
    started = client.post("/account/security/authenticator/start")
    assert started.status_code == 303 and started.headers["Location"] == "/account/security/authenticator"
    page = client.get("/account/security/authenticator").get_data(as_text=True)
    assert "<svg" in page  # the QR code, drawn on the server
    secret = re.search(r'id="secret-key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    done = client.post("/account/security/authenticator", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200, done.get_data(as_text=True)
    codes = re.findall(r"<code>([A-Z0-9]{5}-[A-Z0-9]{5})</code>", done.get_data(as_text=True))
    return secret, codes


def code_at(secret, when):
    return pyotp.TOTP(secret).at(when)


def test_enrol_an_app_then_log_in_with_password_and_code(client, factory, db):
    user = factory.user(username="anna")
    factory.commit()
    with time_machine.travel(utcnow(), tick=False) as clock:
        client.login("anna", Factory.PASSWORD)
        client.post("/account/security/authenticator/start")
        page = client.get("/account/security/authenticator").get_data(as_text=True)
        secret = re.search(r'id="secret-key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
        stored = db.session.scalar(sa.select(AuthenticatorApp.secret).where(AuthenticatorApp.user_id == user.id))
        assert secret not in stored  # encrypted at rest

        wrong = client.post("/account/security/authenticator", {"code": "000000"})
        assert wrong.status_code == 422
        html = wrong.get_data(as_text=True)
        assert "This code is not right." in html[html.index('id="code-error"') :]
        db.session.refresh(user)
        assert not user.has_second_factor

        done = client.post("/account/security/authenticator", {"code": pyotp.TOTP(secret).now()})
        codes = re.findall(r"<code>([A-Z0-9]{5}-[A-Z0-9]{5})</code>", done.get_data(as_text=True))
        assert len(set(codes)) == 10
        db.session.refresh(user)
        assert user.has_second_factor
        stored_codes = db.session.scalars(sa.select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
        assert len(stored_codes) == 10 and not any(c.replace("-", "") in h for c in codes for h in stored_codes)
        entry = db.session.scalar(sa.select(HistoryEntry).where(HistoryEntry.action == "user.second_factor_added"))
        assert entry.changes == {"authenticator_app": [False, True]}
        assert [e.reason for e in events(db, "second_factor_added")] == ["authenticator_app"]
        # The codes are shown once: the page of the app no longer offers them.
        assert "<code>" not in client.get("/account/security/").get_data(as_text=True)

        client.logout()
        clock.shift(timedelta(seconds=30))
        first = client.login("anna", Factory.PASSWORD)
        assert first.status_code == 303 and first.headers["Location"] == SECOND_STEP
        assert client.get("/").headers["Location"] == SECOND_STEP  # the password alone opens nothing
        assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0
        page = client.get(SECOND_STEP)
        assert page.status_code == 200 and "Second step of the login" in page.get_data(as_text=True)
        done = client.post(SECOND_STEP, {"code": pyotp.TOTP(secret).now()})
        assert done.status_code == 303 and done.headers["Location"] == "/"
        assert client.get("/").status_code == 200
    assert [e.reason for e in events(db, "login_succeeded")][-1] == "authenticator_app"


def test_a_code_works_once_and_within_one_step_of_drift(client, factory, db):
    factory.user(username="drift")
    factory.commit()
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        client.login("drift", Factory.PASSWORD)
        secret, _codes = enrol_app(client)
        client.logout()
        for offset, works in [(timedelta(seconds=-30), True), (timedelta(seconds=30), True)]:
            clock.shift(timedelta(minutes=2))
            client.login("drift", Factory.PASSWORD)
            now = utcnow()
            response = client.post(SECOND_STEP, {"code": code_at(secret, now + offset)})
            assert (response.status_code == 303) == works
            # The same code again, at once: refused (no replay within its window).
            client.logout()
            client.login("drift", Factory.PASSWORD)
            replay = client.post(SECOND_STEP, {"code": code_at(secret, now + offset)})
            assert replay.status_code == 422
            client.raw.delete_cookie("imi_session")
        clock.shift(timedelta(minutes=2))
        client.login("drift", Factory.PASSWORD)
        two_steps_late = client.post(SECOND_STEP, {"code": code_at(secret, utcnow() - timedelta(seconds=60))})
        assert two_steps_late.status_code == 422


def test_recovery_codes_work_once_each(client, factory, db):
    user = factory.user(username="lost.phone")
    factory.commit()
    client.login("lost.phone", Factory.PASSWORD)
    _secret, codes = enrol_app(client)
    client.logout()
    client.login("lost.phone", Factory.PASSWORD)
    assert client.post(SECOND_STEP, {"code": codes[0].lower().replace("-", " ")}).status_code == 303
    assert "You have 9 unused recovery codes." in client.get("/account/security/").get_data(as_text=True)
    client.logout()
    client.login("lost.phone", Factory.PASSWORD)
    assert client.post(SECOND_STEP, {"code": codes[0]}).status_code == 422
    assert client.post(SECOND_STEP, {"code": codes[1]}).status_code == 303
    [first, second] = events(db, "recovery_code_used")
    assert (first.user_id, first.count, second.count) == (user.id, 9, 8)
    assert db.session.scalar(sa.select(HistoryEntry).where(HistoryEntry.action == "user.recovery_code_used")) is not None
    # New codes replace the old ones.
    renewed = client.post("/account/security/recovery-codes")
    fresh = re.findall(r"<code>([A-Z0-9]{5}-[A-Z0-9]{5})</code>", renewed.get_data(as_text=True))
    assert len(fresh) == 10 and not set(fresh) & set(codes)
    client.logout()
    client.login("lost.phone", Factory.PASSWORD)
    assert client.post(SECOND_STEP, {"code": codes[2]}).status_code == 422
    assert client.post(SECOND_STEP, {"code": fresh[0]}).status_code == 303


def test_wrong_codes_count_towards_the_block(client, factory, db, smtp_server):
    user = factory.user(username="guessed")
    factory.commit()
    client.login("guessed", Factory.PASSWORD)
    secret, _codes = enrol_app(client)
    client.logout()
    deliver_pending()
    client.login("guessed", Factory.PASSWORD)
    for attempt in range(4):
        response = client.post(SECOND_STEP, {"code": f"{attempt:06d}"})
        assert response.status_code == 422
    # A new password step does not start the count again.
    client.raw.delete_cookie("imi_session")
    client.login("guessed", Factory.PASSWORD)
    db.session.refresh(user)
    assert user.failed_login_count == 4
    blocked = client.post(SECOND_STEP, {"code": "999999"})
    assert blocked.status_code == 303 and blocked.headers["Location"] == "/login"
    db.session.refresh(user)
    assert user.password_blocked_at is not None
    assert len(events(db, "second_factor_failed")) == 5 and len(events(db, "password_blocked")) == 1
    # Blocked: not even the right password and code let in.
    client.login("guessed", Factory.PASSWORD)
    assert client.get(SECOND_STEP).headers["Location"] == "/login"
    deliver_pending()
    assert smtp_server.messages[-1]["subject"] == "IMI: your password has been blocked"


def test_the_password_step_alone_opens_no_page_and_no_partial(app, world, login, db):  # noqa: F811
    """Every route of the app, page and htmx, GET and POST with a valid CSRF token: with only
    the password given, each refuses and leads to the second step."""
    from tests.auth.test_security_events import factory_user

    user = factory_user(world, db)
    user.has_second_factor = True
    db.session.add(AuthenticatorApp(user_id=user.id, secret="x", confirmed_at=utcnow()))
    db.session.commit()
    client = Client(app.test_client())
    token = client.csrf_token()
    assert client.login("ilze", Factory.PASSWORD).headers["Location"] == SECOND_STEP
    token = client.csrf_token()
    public = {"static", "auth.login", "auth.logout", "main.set_language"}
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in public or rule.endpoint.startswith(("auth.second_factor", "registration.")):
            continue
        values = {name: (world.plain.id if "authority" in name else 1) for name in rule.arguments}
        if "tab" in values:
            values["tab"] = "users"
        from flask import url_for

        with app.test_request_context():
            path = url_for(rule.endpoint, **values)
        for method in sorted(rule.methods & {"GET", "POST"}):
            for htmx in (False, True):
                headers = {"HX-Request": "true", "X-CSRFToken": token} if htmx else {}
                data = None if htmx or method == "GET" else {"csrf_token": token}
                response = client.raw.open(path, method=method, headers=headers, data=data)
                where = response.headers.get("HX-Redirect" if htmx else "Location", "")
                assert where == SECOND_STEP, (method, path, htmx, response.status_code)
                checked += 1
    assert checked > 80
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0


@pytest.fixture
def app_config_administrators(smtp_server):
    return {**smtp_server.config(), "SECOND_FACTOR_REQUIRED": "administrators"}


@pytest.mark.parametrize("app_config", [{"SECOND_FACTOR_REQUIRED": "administrators"}])
def test_administrators_must_set_up_a_second_factor(world, login, db, app_config):  # noqa: F811
    admin = login("nimic.admin")  # an administrator of an access-manager authority
    for path in ("/", "/authorities/", f"/authorities/{world.plain.id}/users"):
        assert admin.get(path).headers["Location"] == "/account/security/"
    assert admin.get("/authorities/", htmx=True).headers["HX-Redirect"] == "/account/security/"
    assert admin.post("/language", {"language": "lv"}).status_code == 303  # the language still switches
    page = admin.get("/account/security/").get_data(as_text=True)
    assert "Jūsu lomai nepieciešams otrais faktors" in page
    admin.post("/language", {"language": "en"})
    secret, _codes = enrol_app(admin)
    assert admin.get("/authorities/").status_code == 200
    # The last factor cannot be removed while it is required.
    refused = admin.post("/account/security/authenticator/remove")
    assert refused.status_code == 303
    assert "You must keep at least one second factor" in admin.get("/account/security/").get_data(as_text=True)
    assert db.session.get(User, world.nimic_admin.id).has_second_factor

    # An ordinary user, and an administrator of an authority that manages none, are not asked.
    assert login("nimic.user").get("/").status_code == 200
    assert login("plain.admin").get("/").status_code == 200


def test_an_administrator_resets_the_second_factor(app, world, login, db, smtp_server):  # noqa: F811
    from tests.auth.test_security_events import factory_user

    user = factory_user(world, db)
    own = Client(app.test_client())
    own.login("ilze", Factory.PASSWORD)
    enrol_app(own)
    url = f"/authorities/{world.plain.id}/users/{user.id}/reset-second-factor"

    tab = login("nimic.admin").get(f"/authorities/{world.plain.id}/users").get_data(as_text=True)
    row = tab[tab.index(f'id="user-{user.id}"') :]
    assert "Set" in row[: row.index("</tr>")] and "Reset second factor" in row[: row.index("</tr>")]

    for who in ("nimic.user", "ee.admin"):
        other = login(who)  # they may not see the authority: as if it did not exist
        assert other.get(url).status_code == 404
        assert other.post(url).status_code == 404
        assert other.post(url, htmx=True).status_code == 404
    db.session.expire_all()
    assert db.session.get(User, user.id).has_second_factor  # nothing changed
    assert own.get("/").status_code == 200

    manager = login("nimic.admin")
    confirm = manager.get(url, htmx=True)
    assert confirm.status_code == 200 and "Reset the second factor of Ilze Ozola?" in confirm.get_data(as_text=True)
    done = manager.post(url, htmx=True)
    assert done.status_code == 200
    assert "The second factor of Ilze Ozola has been reset" in done.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.get(User, user.id).has_second_factor
    for model in (AuthenticatorApp, Passkey, RecoveryCode):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.user_id == user.id)) == 0
    assert own.get("/").status_code == 303  # logged out everywhere
    [event] = events(db, "second_factor_reset")
    assert (event.user_id, event.actor_user_id) == (user.id, world.nimic_admin.id)
    [ended] = events(db, "sessions_ended")
    assert ended.reason == "second_factor_reset" and ended.user_id == user.id
    entry = db.session.scalar(sa.select(HistoryEntry).where(HistoryEntry.action == "user.second_factor_reset"))
    assert entry.changes == {"authenticator_app": [True, False]} and entry.actor_user_id == world.nimic_admin.id
    deliver_pending()
    mail = smtp_server.messages[-1]
    assert mail["to"] == [user.email] and mail["subject"] == "IMI: your second factor has been reset"
    assert "ilze" not in mail["body"].lower().replace("ilze,", "")  # the first name greets, the username never appears
    # The user logs in with the password alone again.
    assert Client(app.test_client()).login("ilze", Factory.PASSWORD).headers["Location"] == "/"


def test_the_second_step_in_latvian(app, factory, db):
    factory.user(username="janis", language="lv")
    factory.commit()
    client = Client(app.test_client(), language="lv")
    client.login("janis", Factory.PASSWORD)
    enrol_app(client)
    client.logout()
    client.login("janis", Factory.PASSWORD)
    page = client.get(SECOND_STEP).get_data(as_text=True)
    assert "Pieteikšanās otrais solis" in page
    wrong = client.post(SECOND_STEP, {"code": "123456"})
    assert "Šis kods nav pareizs." in wrong.get_data(as_text=True)


def test_an_expired_password_is_changed_after_the_second_step(client, factory, db, app):
    user = factory.user(username="late.change")
    factory.commit()
    client.login("late.change", Factory.PASSWORD)
    secret, _codes = enrol_app(client)
    client.logout()
    max_age = timedelta(days=app.config["PASSWORD_MAX_AGE_DAYS"])
    with time_machine.travel(user.password_set_at + max_age + timedelta(days=1), tick=False):
        assert client.login("late.change", Factory.PASSWORD).headers["Location"] == SECOND_STEP
        assert client.get("/account/password").headers["Location"] == SECOND_STEP  # not before the code
        done = client.post(SECOND_STEP, {"code": pyotp.TOTP(secret).now()})
        assert done.headers["Location"] == "/account/password"
        assert client.get("/").headers["Location"] == "/account/password"
