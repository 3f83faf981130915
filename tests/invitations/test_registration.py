"""The self-registration form of an invitation link (R-2.2.2, R-2.2.3)."""

import logging
import re
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from imi_web.invitations import operations
from imi_web.outbox import deliver_pending
from imi_web.models import (
    Authority,
    AuthorityStatus,
    HistoryEntry,
    Invitation,
    InvitationStatus,
    OutboxMessage,
    PasswordStatus,
    User,
    utcnow,
)
from tests.conftest import BACKENDS, Client
from tests.invitations.conftest import registration_form

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.config()


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def open_link(client, token):
    response = client.get(f"/register/{token}")
    assert response.status_code == 303 and response.headers["Location"] == "/register/"
    return response


def test_register_through_a_link(world, db, invite, client, smtp_server, caplog):
    caplog.set_level(logging.DEBUG)
    invitation, token = invite(language="lv")
    response = open_link(client, token)
    # The token leaves the address bar at once and never travels in a Referer header.
    assert response.headers["Referrer-Policy"] == "no-referrer"
    page = client.get("/register/")
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    html = page.get_data(as_text=True)
    # In the invitation's language (the browser asked for English), prefilled, with the country.
    assert '<html lang="lv">' in html and "Reģistrējiet savu iestādi" in html
    assert 'value="Jaunā iestāde"' in html and "Latvija" in html
    assert 'value="kontakti@jaunaiestade.lv.example"' in html
    assert token not in html
    response = client.post("/register/", registration_form(world))
    assert response.status_code == 303 and response.headers["Location"] == "/register/done"
    authority = db.session.scalar(sa.select(Authority).where(Authority.official_name == "Cēsu novada būvvalde"))
    assert authority.status == AuthorityStatus.AWAITING_VALIDATION
    assert authority.country_id == world.nimic.country_id
    assert [e.code for e in authority.classification_entries] == ["BUILD"]
    [user] = authority.users
    assert user.is_admin and user.username == "iliepina" and user.email == "ilze.liepina@cesis.lv.example"
    assert user.password_status() == PasswordStatus.TEMPORARY
    db.session.expire_all()
    invitation = db.session.get(Invitation, invitation.id)
    assert invitation.status == InvitationStatus.REGISTERED and invitation.authority_id == authority.id
    assert invitation.used_at is not None
    # The confirmation shows the first user's username.
    done = client.get("/register/done")
    assert done.status_code == 200 and done.headers["Referrer-Policy"] == "no-referrer"
    assert "iliepina" in done.get_data(as_text=True)
    # the inviting authority's administrators (not its plain users) get a mail;
    # the first user gets no password before validation; no mail carries the username.
    assert deliver_pending()["sent"] == 1
    [mail] = smtp_server.messages
    assert mail["to"] == [world.nimic_admin.email]
    assert "Cēsu novada būvvalde" in mail["body"] and f"https://imi.example.test/validation/{authority.id}" in mail["body"]
    assert "iliepina" not in mail["message"].as_string()
    # History: registered without an actor (the invited authority itself).
    actions = {e.action: e for e in db.session.scalars(sa.select(HistoryEntry))}
    assert {"authority.self_registered", "user.registered", "invitation.registered"} <= set(actions)
    assert actions["authority.self_registered"].actor_user_id is None
    assert actions["authority.self_registered"].changes["status"] == [None, "awaiting_validation"]
    # The link is single-use.
    client.get(f"/register/{token}")
    assert client.get("/register/").status_code == 404
    # The token is in no log record, not even in the access log's request line.
    logging.getLogger("werkzeug").info('%s "%s" %s', "127.0.0.1", f"GET /register/{token} HTTP/1.1", 303)
    assert "GET /register/[token] HTTP/1.1" in caplog.text
    assert token not in caplog.text


def test_every_administrator_of_the_inviting_authority_is_told(world, db, invite, client, factory, smtp_server):
    second = factory.user(world.nimic, username="nimic.admin2", is_admin=True, language="lv")
    factory.commit()
    _invitation, token = invite()
    open_link(client, token)
    assert client.post("/register/", registration_form(world)).status_code == 303
    deliver_pending()
    assert sorted(m["to"][0] for m in smtp_server.messages) == sorted([world.nimic_admin.email, second.email])
    latvian = next(m for m in smtp_server.messages if m["to"] == [second.email])
    assert "uzaicinātā iestāde ir reģistrējusies" in latvian["subject"]


def test_the_country_comes_from_the_invitation_never_from_the_form(world, db, invite, client):
    _invitation, token = invite(world.estonia, world.estonia_admin, language="en")
    open_link(client, token)
    data = registration_form(world, country_id=str(world.nimic.country_id), country="LV")
    assert client.post("/register/", data).status_code == 303
    authority = db.session.scalar(sa.select(Authority).where(Authority.official_name == "Cēsu novada būvvalde"))
    assert authority.country_id == world.estonia.country_id


def test_bad_input_is_shown_beside_the_fields(world, db, invite, client):
    invitation, token = invite()
    open_link(client, token)
    response = client.post("/register/", registration_form(world, email="nope", first_name="", website="ftp:/x"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="email-error"' in html and 'id="first_name-error"' in html and 'id="website-error"' in html
    assert count(db, Authority) == 5
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).status == InvitationStatus.SENT


def test_the_language_can_be_switched(world, db, invite, client):
    _invitation, token = invite(language="lv")
    open_link(client, token)
    assert "Reģistrējiet savu iestādi" in client.get("/register/").get_data(as_text=True)
    client.post("/language", {"language": "en", "next": "/register/"})
    html = client.get("/register/").get_data(as_text=True)
    assert '<html lang="en">' in html and "Register your authority" in html


def _invalid_page(response) -> str:
    assert response.status_code == 404
    assert response.headers["Referrer-Policy"] == "no-referrer"
    html = response.get_data(as_text=True)
    html = re.sub(r'name="csrf-token" content="[^"]*"', "", html)
    return re.sub(r'name="csrf_token" value="[^"]*"', "", html)


@pytest.mark.parametrize("kind", ["expired", "revoked", "registered", "validated", "rejected", "forged", "truncated", "long"])
def test_unusable_links_get_one_message_and_create_nothing(world, db, invite, app, kind):
    reference = _invalid_page(Client(app.test_client()).get("/register/"))
    status = {
        "revoked": InvitationStatus.REVOKED,
        "registered": InvitationStatus.REGISTERED,
        "validated": InvitationStatus.VALIDATED,
        "rejected": InvitationStatus.REJECTED,
    }.get(kind, InvitationStatus.SENT)
    invitation, token = invite(status=status, expires_in=timedelta(days=-1) if kind == "expired" else timedelta(days=30))
    if kind == "forged":
        token = token[:-1] + ("A" if token[-1] != "A" else "B")
    elif kind == "truncated":
        token = token[:20]
    elif kind == "long":
        token = token * 10
    client = Client(app.test_client())
    # Every link redirects to the form, which says the same for every unusable one.
    response = client.get(f"/register/{token}")
    assert response.status_code == 303 and response.headers["Location"] == "/register/"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    page = _invalid_page(client.get("/register/"))
    assert page == reference
    assert "This registration link cannot be used." in page
    # Nothing to fill in either: the form needs a link that worked.
    assert _invalid_page(client.get("/register/")) == reference
    assert client.post("/register/", registration_form(world)).status_code == 404
    assert count(db, Authority) == 5 and count(db, User) == 5
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).status == status


@pytest.mark.parametrize("change", ["expire", "revoke", "use"])
def test_a_link_that_stops_working_while_the_form_is_open(world, db, invite, app, change):
    invitation, token = invite()
    client = Client(app.test_client())
    open_link(client, token)
    if change == "use":
        other = Client(app.test_client())
        open_link(other, token)
        assert other.post("/register/", registration_form(world, official_name="Pirmā iestāde")).status_code == 303
    else:
        invitation = db.session.get(Invitation, invitation.id)
        if change == "expire":
            invitation.expires_at = utcnow() - timedelta(seconds=1)
        else:
            invitation.status = InvitationStatus.REVOKED
        db.session.commit()
    response = client.post("/register/", registration_form(world))
    assert response.status_code == 404 and "This registration link cannot be used." in response.get_data(as_text=True)
    assert count(db, Authority) == (6 if change == "use" else 5)
    assert db.session.scalar(sa.select(Authority).where(Authority.official_name == "Cēsu novada būvvalde")) is None


def test_a_second_submission_of_the_same_session_creates_nothing(world, db, invite, client):
    _invitation, token = invite()
    open_link(client, token)
    form = registration_form(world)
    assert client.post("/register/", form).status_code == 303
    assert client.post("/register/", form).status_code == 404
    assert count(db, Authority) == 6


def test_parallel_submissions_of_one_link_create_one_authority(world, db, invite, app, monkeypatch, smtp_server):
    """Two browsers submit the same link at the same moment: the conditional UPDATE lets one win."""
    invitation, token = invite()
    clients = [Client(app.test_client()) for _ in range(2)]
    for c in clients:
        open_link(c, token)
    forms = [registration_form(world, official_name=f"Vienlaicīgā iestāde {i}") for i in range(2)]
    tokens = [c.csrf_token() for c in clients]
    # Hold the winner inside its transaction a moment, so the other request arrives meanwhile.
    register_user = operations.register_user

    def slow_register_user(*args, **kwargs):
        time.sleep(0.3)
        return register_user(*args, **kwargs)

    monkeypatch.setattr(operations, "register_user", slow_register_user)
    barrier = threading.Barrier(2)
    statuses = [None, None]

    def submit(i):
        barrier.wait()
        response = clients[i].raw.post("/register/", data={**forms[i], "csrf_token": tokens[i]})
        statuses[i] = response.status_code

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(statuses) == [303, 404]
    db.session.expire_all()
    created = db.session.scalars(sa.select(Authority).where(Authority.official_name.like("Vienlaicīgā iestāde%"))).all()
    assert len(created) == 1
    invitation = db.session.get(Invitation, invitation.id)
    assert invitation.authority_id == created[0].id and invitation.status == InvitationStatus.REGISTERED
    assert count(db, OutboxMessage) == 1  # one notification


def test_an_anonymous_person_reaches_nothing_but_the_form(world, db, invite, client):
    invitation, token = invite()
    registered = Authority(country_id=world.nimic.country_id, official_name="X", status=AuthorityStatus.AWAITING_VALIDATION)
    db.session.add(registered)
    db.session.commit()
    open_link(client, token)
    assert client.get("/register/").status_code == 200
    for url in (
        "/",
        "/invitations/",
        "/invitations/new",
        "/validation/",
        f"/validation/{registered.id}",
        f"/authorities/{registered.id}/authority",
        "/authorities/",
    ):
        for htmx in (False, True):
            response = client.get(url, htmx=htmx)
            assert response.status_code in (302, 303, 204), url
            assert "/login" in (response.headers.get("Location") or response.headers.get("HX-Redirect")), url
    for url in (f"/invitations/{invitation.id}/revoke", f"/validation/{registered.id}", f"/validation/{registered.id}/reject"):
        response = client.post(url, {"reason": "x", "action": "validate"})
        assert response.status_code in (302, 303), url
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).status == InvitationStatus.SENT
    assert db.session.get(Authority, registered.id).status == AuthorityStatus.AWAITING_VALIDATION


def test_csrf_is_required(world, db, invite, client):
    _invitation, token = invite()
    open_link(client, token)
    assert client.post("/register/", registration_form(world), csrf=False).status_code == 400
    assert count(db, Authority) == 5


def test_the_registration_is_in_the_history_field_by_field_and_the_mail_names_the_invited_address(
    world, db, invite, client, smtp_server
):
    """R-3.5: the self-registration is filed with every field given (an empty optional one stays
    empty), its classification and status, and under the invitation; the inviting authority's
    mail (R-2.2.3) names the address it invited. Found by mutation testing (docs/mutation.md)."""
    invitation, token = invite()
    open_link(client, token)
    assert client.post("/register/", registration_form(world, website="")).status_code == 303
    authority = db.session.scalar(sa.select(Authority).where(Authority.official_name == "Cēsu novada būvvalde"))
    assert authority.website == ""
    entries = {entry.action: entry for entry in db.session.scalars(sa.select(HistoryEntry))}
    assert entries["authority.self_registered"].changes == {
        "official_name": [None, "Cēsu novada būvvalde"],
        "informal_name": [None, "Būvvalde Cēsīs"],
        "phone": [None, "+371 64100000"],
        "email": [None, "buvvalde@cesis.lv.example"],
        "street_address": [None, "Raunas iela 4"],
        "postal_code": [None, "LV-4101"],
        "city": [None, "Cēsis"],
        "classification": [None, ["BUILD"]],
        "status": [None, "awaiting_validation"],
    }
    registered = entries["invitation.registered"]
    assert registered.actor_user_id is None and registered.authority_id == world.nimic.id
    assert registered.subject_id == invitation.id
    assert registered.changes == {"status": ["sent", "registered"], "authority": [None, "Cēsu novada būvvalde"]}
    deliver_pending()
    [mail] = smtp_server.messages
    assert "An authority you invited (kontakti@jaunaiestade.lv.example) has registered" in mail["body"]
