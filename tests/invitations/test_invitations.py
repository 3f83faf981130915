"""Menu "Administration" → "Registration invitations" (R-2.2.1): create, list, resend, revoke."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from imi_web.invitations.operations import hash_token
from imi_web.outbox import deliver_pending
from imi_web.models import HistoryEntry, Invitation, InvitationStatus, OutboxMessage, utcnow
from tests.conftest import BACKENDS, Client, Factory
from tests.invitations.conftest import registration_form

pytestmark = pytest.mark.parametrize("backend", BACKENDS)

LINK = re.compile(r"https://imi\.example\.test/register/([A-Za-z0-9_-]+)")


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.config()


def invitation_data(**overrides):
    data = {
        "email": "kontakti@jaunaiestade.lv.example",
        "suggested_name": "Jaunā iestāde",
        "language": "en",
        "message": "Please register your authority before the end of the month.",
    }
    data.update(overrides)
    return data


def mailed_token(smtp_server, index=-1) -> str:
    return LINK.search(smtp_server.messages[index]["body"]).group(1)


def test_create_invitation_mails_a_single_use_link(world, login, db, smtp_server):
    client = login("nimic.admin")
    page = client.get("/invitations/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for label in ("E-mail", "Suggested authority name", "Language of the invitation", "Message (optional)"):
        assert label in html
    response = client.post("/invitations/new", invitation_data())
    assert response.status_code == 303 and response.headers["Location"] == "/invitations/"
    invitation = db.session.scalar(sa.select(Invitation))
    assert invitation.status == InvitationStatus.SENT
    assert invitation.inviting_authority_id == world.nimic.id and invitation.invited_by_user_id == world.nimic_admin.id
    assert invitation.country_id == world.nimic.country_id
    # Default validity: 30 days.
    assert abs(invitation.expires_at - (utcnow() + timedelta(days=30))) < timedelta(minutes=1)
    assert deliver_pending()["sent"] == 1
    [mail] = smtp_server.messages
    assert mail["to"] == ["kontakti@jaunaiestade.lv.example"]
    assert "Please register your authority before the end of the month." in mail["body"]
    assert "NIMIC LV" in mail["body"]
    token = mailed_token(smtp_server)
    # Unguessable (secrets.token_urlsafe(32): 43 characters, 256 bits), stored only as a hash.
    assert len(token) >= 43
    assert invitation.token_hash == hash_token(token) and token not in invitation.token_hash
    stored = " ".join(str(e.changes) for e in db.session.scalars(sa.select(HistoryEntry)))
    stored += " ".join(m.body_text or "" for m in db.session.scalars(sa.select(OutboxMessage)))
    assert token not in stored
    # History of the inviting authority, with the actor.
    entry = db.session.scalar(sa.select(HistoryEntry).where(HistoryEntry.action == "invitation.created"))
    assert entry.authority_id == world.nimic.id and entry.actor_user_id == world.nimic_admin.id
    assert entry.changes["email"] == [None, "kontakti@jaunaiestade.lv.example"]
    # The list shows it.
    listing = client.get("/invitations/").get_data(as_text=True)
    assert "kontakti@jaunaiestade.lv.example" in listing and ">sent<" in listing


def test_the_link_comes_from_base_url_never_from_the_host_header(world, app, db, smtp_server):
    # Every request of this browser carries a forged Host (and forwarding headers).
    client = Client(app.test_client())
    client.raw.environ_base.update(
        HTTP_HOST="evil.example", HTTP_X_FORWARDED_HOST="evil.example", HTTP_X_FORWARDED_PROTO="http"
    )
    assert client.login("nimic.admin", Factory.PASSWORD).status_code == 303
    response = client.post("/invitations/new", invitation_data())
    assert response.status_code == 303
    deliver_pending()
    body = smtp_server.messages[-1]["body"]
    assert "evil.example" not in body
    assert LINK.search(body)


def test_validity_is_configurable(world, login, db, app, smtp_server):
    app.config["INVITATION_VALID_DAYS"] = 3
    client = login("nimic.admin")
    client.post("/invitations/new", invitation_data())
    invitation = db.session.scalar(sa.select(Invitation))
    assert abs(invitation.expires_at - (utcnow() + timedelta(days=3))) < timedelta(minutes=1)


def test_bad_input_is_shown_beside_the_fields(world, login, db):
    client = login("nimic.admin")
    response = client.post("/invitations/new", invitation_data(email="not-an-address", language="xx", suggested_name=""))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="email-error"' in html and "Enter a valid e-mail address." in html
    assert 'id="language-error"' in html and "Choose one of the options offered." in html
    assert 'id="suggested_name-error"' in html and "Fill in this field." in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0
    # As an htmx partial: the form only.
    partial = client.post("/invitations/new", invitation_data(email=""), htmx=True)
    assert partial.status_code == 422 and "<html" not in partial.get_data(as_text=True)


def test_latvian_interface(world, login, db):
    client = login("nimic.admin")
    client.post("/language", {"language": "lv", "next": "/invitations/"})
    html = client.get("/invitations/").get_data(as_text=True)
    assert "Uzaicinājumi reģistrēties" in html
    html = client.post("/invitations/new", invitation_data(email="")).get_data(as_text=True)
    assert "Aizpildiet šo lauku." in html or "Aizpildiet" in html


def test_list_shows_every_status_and_filters(world, login, db, invite, factory):
    invite(email="sent@x.example")
    invite(email="expired@x.example", expires_in=timedelta(days=-1))
    invite(email="revoked@x.example", status=InvitationStatus.REVOKED)
    registered = factory.authority(name="Reģistrētā iestāde")
    invite(email="registered@x.example", status=InvitationStatus.REGISTERED, authority_id=registered.id)
    invite(email="validated@x.example", status=InvitationStatus.VALIDATED)
    invite(email="rejected@x.example", status=InvitationStatus.REJECTED, rejection_reason="Jau reģistrēta")
    invite(world.estonia, world.estonia_admin, email="estonian@x.example")
    client = login("nimic.admin")
    html = client.get("/invitations/").get_data(as_text=True)
    assert "6 invitations" in html and "estonian@x.example" not in html
    for label in ("sent", "expired", "revoked", "registered — awaiting validation", "validated", "rejected"):
        assert f">{label}</span>" in html, label
    assert f'href="/validation/{registered.id}"' in html
    # The derived status "expired" filters by expires_at; the filter works as a partial too.
    partial = client.get("/invitations/?status=expired", htmx=True)
    text = partial.get_data(as_text=True)
    assert partial.status_code == 200 and "<html" not in text and "HX-Request" in partial.headers["Vary"]
    assert "expired@x.example" in text and "sent@x.example" not in text
    text = client.get("/invitations/?status=sent").get_data(as_text=True)
    assert "sent@x.example" in text and "expired@x.example" not in text


def test_resend_invalidates_the_old_link(world, login, db, invite, smtp_server, client):
    invitation, old_token = invite(expires_in=timedelta(days=-2))  # expired: a resend renews it
    manager = login("nimic.admin")
    response = manager.post(f"/invitations/{invitation.id}/resend", htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and f'id="invitation-{invitation.id}"' in html and "the old link no longer works" in html
    db.session.expire_all()
    invitation = db.session.get(Invitation, invitation.id)
    assert invitation.status == InvitationStatus.SENT and invitation.expires_at > utcnow() + timedelta(days=29)
    deliver_pending()
    new_token = mailed_token(smtp_server)
    assert new_token != old_token and invitation.token_hash == hash_token(new_token)
    client.get(f"/register/{old_token}")
    assert client.get("/register/").status_code == 404
    client.get(f"/register/{new_token}")
    assert client.get("/register/").status_code == 200
    entry = db.session.scalar(sa.select(HistoryEntry).where(HistoryEntry.action == "invitation.resent"))
    assert entry.actor_user_id == world.nimic_admin.id


def test_revoke(world, login, db, invite, client):
    invitation, token = invite()
    manager = login("nimic.admin")
    response = manager.post(f"/invitations/{invitation.id}/revoke")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).status == InvitationStatus.REVOKED
    client.get(f"/register/{token}")
    assert client.get("/register/").status_code == 404
    # A revoked invitation can be neither revoked nor sent again.
    again = manager.post(f"/invitations/{invitation.id}/resend", htmx=True)
    assert again.status_code == 422 and "can no longer be sent again" in again.get_data(as_text=True)
    entry = db.session.scalar(sa.select(HistoryEntry).where(HistoryEntry.action == "invitation.revoked"))
    assert entry.changes == {"status": ["sent", "revoked"]}


@pytest.mark.parametrize("who", ["ee.admin", "partial.admin", "nimic.user", "plain.admin"])
def test_others_cannot_resend_or_revoke(world, login, db, invite, who):
    invitation, _token = invite()
    client = login(who)
    for action in ("resend", "revoke"):
        for htmx in (False, True):  # not theirs to see: as if it did not exist (issue 15)
            assert client.post(f"/invitations/{invitation.id}/{action}", htmx=htmx).status_code == 404
    db.session.expire_all()
    invitation = db.session.get(Invitation, invitation.id)
    assert invitation.status == InvitationStatus.SENT
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


@pytest.mark.parametrize("who", ["nimic.user", "plain.admin"])
def test_only_access_managers_administrators_may_invite(world, login, db, who):
    client = login(who)
    for htmx in (False, True):
        assert client.get("/invitations/", htmx=htmx).status_code == 403
        assert client.get("/invitations/new", htmx=htmx).status_code == 403
    assert client.post("/invitations/new", invitation_data()).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0


def test_anonymous_is_sent_to_login(world, client, invite):
    invitation, _token = invite()
    for url in ("/invitations/", "/invitations/new"):
        response = client.get(url)
        assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    response = client.post(f"/invitations/{invitation.id}/revoke")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_csrf_is_required(world, login, db, invite):
    invitation, _token = invite()
    client = login("nimic.admin")
    assert client.post("/invitations/new", invitation_data(), csrf=False).status_code == 400
    assert client.post(f"/invitations/{invitation.id}/revoke", csrf=False).status_code == 400
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).status == InvitationStatus.SENT


def test_the_list_is_paged(world, login, db, invite):
    for i in range(52):
        invite(email=f"i{i:02d}@x.example")
    client = login("nimic.admin")
    html = client.get("/invitations/").get_data(as_text=True)
    assert "52 invitations" in html and "Page 1 of 2" in html and html.count('<tr id="invitation-') == 50
    html = client.get("/invitations/?page=2", htmx=True).get_data(as_text=True)
    assert "Page 2 of 2" in html and html.count('<tr id="invitation-') == 2 and "i00@x.example" in html


def test_an_expired_invitation_offers_send_again_and_revoke(world, login, db, invite):
    """One rule (policy.may_revoke_invitation) for the button and the operation: an expired
    invitation may be revoked, so the list offers it; used or revoked ones offer nothing."""
    expired, _token = invite(email="expired@x.example", expires_in=timedelta(days=-1))
    revoked, _token = invite(email="revoked@x.example", status=InvitationStatus.REVOKED)
    client = login("nimic.admin")
    html = client.get("/invitations/").get_data(as_text=True)
    row = html[html.index(f'id="invitation-{expired.id}"') :]
    row = row[: row.index("</tr>")]
    assert f"/invitations/{expired.id}/resend" in row and f"/invitations/{expired.id}/revoke" in row
    row = html[html.index(f'id="invitation-{revoked.id}"') :]
    row = row[: row.index("</tr>")]
    assert "/resend" not in row and "/revoke" not in row
    confirm = client.get(f"/invitations/{expired.id}/revoke", htmx=True).get_data(as_text=True)
    assert "Revoke the invitation to" in confirm
    assert client.post(f"/invitations/{expired.id}/revoke").status_code == 303
    db.session.expire_all()
    assert db.session.get(Invitation, expired.id).status == InvitationStatus.REVOKED


def test_the_mail_is_in_the_invitations_language_and_names_the_authority_and_the_expiry(world, login, db, smtp_server):
    """The invitation mail in the language chosen for it (R-6.3), with the suggested name and the
    date the link expires; no message given, none shown; the history holds every field (R-3.5).
    Found by mutation testing (docs/mutation.md)."""
    client = login("nimic.admin")
    response = client.post("/invitations/new", invitation_data(suggested_name="  Jaunā iestāde ", message=""))
    assert response.status_code == 303
    invitation = db.session.scalar(sa.select(Invitation))
    assert invitation.suggested_name == "Jaunā iestāde" and invitation.message == ""
    deliver_pending()
    [mail] = smtp_server.messages
    body = mail["body"].replace("\r\n", "\n")
    assert mail["subject"] == "IMI: invitation to register your authority"
    assert "register your authority in IMI (the Internal Market\nInformation System): Jaunā iestāde." in body
    assert "Message from" not in body
    assert re.search(r"valid until \d{1,2} [A-Z][a-z]+ \d{4}\.", body)
    entry = db.session.scalar(sa.select(HistoryEntry).where(HistoryEntry.action == "invitation.created"))
    assert entry.subject_type == "invitation" and entry.subject_id == invitation.id
    assert entry.subject_label == "kontakti@jaunaiestade.lv.example"
    assert entry.changes == {
        "email": [None, "kontakti@jaunaiestade.lv.example"],
        "suggested_name": [None, "Jaunā iestāde"],
        "language": [None, "en"],
        "expires_at": [None, invitation.expires_at.isoformat()],
    }


def test_a_base_url_ending_in_a_slash_gives_clean_links(world, login, db, app, smtp_server):
    """``BASE_URL = "https://imi.example.test/"``: the invitation's link and the validation link
    mailed to the inviting authority have no double slash. Found by mutation testing
    (docs/mutation.md)."""
    app.config["BASE_URL"] = "https://imi.example.test/"
    assert login("nimic.admin").post("/invitations/new", invitation_data()).status_code == 303
    deliver_pending()
    token = mailed_token(smtp_server)
    assert f"\nhttps://imi.example.test/register/{token}\r\n" in smtp_server.messages[-1]["body"]
    applicant = Client(app.test_client())
    assert applicant.get(f"/register/{token}").status_code == 303
    assert applicant.post("/register/", registration_form(world)).status_code == 303
    deliver_pending()
    authority_id = db.session.scalar(sa.select(Invitation.authority_id))
    assert f"\nhttps://imi.example.test/validation/{authority_id}\r\n" in smtp_server.messages[-1]["body"]


def test_sending_again_and_revoking_are_in_the_history_with_who_and_old_to_new(world, login, db, invite):
    """R-3.5: who sent the invitation again, its old and new expiry; who revoked it. Revoking
    it again is refused with the reason; another open invitation is left alone.
    Found by mutation testing (docs/mutation.md)."""
    invitation, _token = invite(expires_in=timedelta(days=-2))
    other, _token = invite(email="other@x.example")  # open too: changed by neither
    old_expiry = invitation.expires_at
    client = login("nimic.admin")
    assert client.post(f"/invitations/{invitation.id}/resend").status_code == 303
    assert client.post(f"/invitations/{invitation.id}/revoke").status_code == 303
    again = client.post(f"/invitations/{invitation.id}/revoke", htmx=True)
    assert again.status_code == 422 and "can no longer be sent again or revoked" in again.get_data(as_text=True)
    db.session.expire_all()
    invitation = db.session.get(Invitation, invitation.id)
    entries = {
        entry.action: entry
        for entry in db.session.scalars(sa.select(HistoryEntry).where(HistoryEntry.subject_id == invitation.id))
    }
    resent, revoked = entries["invitation.resent"], entries["invitation.revoked"]
    assert resent.changes == {"expires_at": [old_expiry.isoformat(), invitation.expires_at.isoformat()]}
    assert resent.authority_id == world.nimic.id and resent.subject_label == invitation.email
    assert revoked.actor_user_id == world.nimic_admin.id and revoked.authority_id == world.nimic.id
    assert db.session.get(Invitation, other.id).status == InvitationStatus.SENT


def test_each_status_filter_lists_only_this_authoritys_invitations_of_that_status(world, login, db, invite):
    """Another country's invitations stay out of every filter (R-1.3); a list of one page has
    no pager. Found by mutation testing (docs/mutation.md)."""
    kinds = {
        "sent": {},
        "expired": {"expires_in": timedelta(days=-1)},
        "revoked": {"status": InvitationStatus.REVOKED},
    }
    for kind, kw in kinds.items():
        invite(email=f"{kind}@x.example", **kw)
        invite(world.estonia, world.estonia_admin, email=f"{kind}@ee.example", **kw)
    client = login("nimic.admin")
    for kind in kinds:
        html = client.get(f"/invitations/?status={kind}").get_data(as_text=True)
        assert "data-status>1 invitation</h2>" in html, kind
        assert f"{kind}@x.example" in html and "@ee.example" not in html, kind
        assert "Page 1 of" not in html
