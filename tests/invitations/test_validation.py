"""Menu "My tasks" → "For validation" (R-2.2.4, R-2.2.5): correct, validate, reject."""

import pytest
import sqlalchemy as sa

from imi_web.extensions import db as _db
from imi_web.outbox import deliver_pending
from imi_web.models import (
    AccessManagerLink,
    Authority,
    AuthorityStatus,
    HistoryEntry,
    Invitation,
    InvitationStatus,
    OutboxMessage,
    User,
)
from imi_web.passwords import hash_password
from tests.conftest import BACKENDS, Client, Factory
from tests.invitations.conftest import registration_form

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.config()


@pytest.fixture
def registered(world, db, invite, app, smtp_server):
    """An invited authority that registered itself (the notification mail already delivered)."""
    invitation, token = invite(language="en")
    client = Client(app.test_client())
    assert client.get(f"/register/{token}").status_code == 303
    assert client.post("/register/", registration_form(world)).status_code == 303
    deliver_pending()
    smtp_server.messages.clear()
    db.session.expire_all()
    return db.session.get(Invitation, invitation.id)


def correction(world, authority, **overrides):
    data = registration_form(world, version=str(authority.version))
    data.update(overrides)
    return data


def test_list_and_the_count_in_the_menu(world, login, db, registered):
    client = login("nimic.admin")
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(_db.engine, "before_cursor_execute", record)
    try:
        page = client.get("/validation/")
    finally:
        sa.event.remove(_db.engine, "before_cursor_execute", record)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'For validation <span class="menu-count">1</span>' in html
    assert "1 registration awaiting validation" in html
    assert f'href="/validation/{registered.authority_id}"' in html and "Cēsu novada būvvalde" in html
    counts = [s for s in statements if "count(" in s.lower() and "invitation" in s.lower()]
    assert len(counts) == 1  # the menu's count: one COUNT query
    partial = client.get("/validation/", htmx=True)
    assert partial.status_code == 200 and "<html" not in partial.get_data(as_text=True)
    # Other access managers do not see it (their own list, their own count).
    for who in ("ee.admin", "partial.admin"):
        html = login(who).get("/validation/").get_data(as_text=True)
        assert "Cēsu novada būvvalde" not in html and "menu-count" not in html


def test_correct_then_validate(world, login, db, registered, smtp_server):
    authority_id = registered.authority_id
    client = login("nimic.admin")
    page = client.get(f"/validation/{authority_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'value="Cēsu novada būvvalde"' in html and 'value="Ilze"' in html and "iliepina" in html
    assert "No likely duplicate" in html
    authority = db.session.get(Authority, authority_id)
    response = client.post(
        f"/validation/{authority_id}",
        {**correction(world, authority, informal_name="Cēsu būvvalde", surname="Liepa"), "action": "validate"},
    )
    assert response.status_code == 303
    # Step 4: on to the new authority's tab "Modules".
    assert response.headers["Location"] == f"/authorities/{authority_id}/modules"
    db.session.expire_all()
    authority = db.session.get(Authority, authority_id)
    assert authority.status == AuthorityStatus.ACTIVE and authority.informal_name == "Cēsu būvvalde"
    [user] = authority.users
    assert user.surname == "Liepa"
    assert db.session.get(Invitation, registered.id).status == InvitationStatus.VALIDATED
    link = db.session.scalar(sa.select(AccessManagerLink).where(AccessManagerLink.managed_authority_id == authority_id))
    assert link.manager_authority_id == world.nimic.id
    # History: corrections old → new, the validation, the manager; the actor recorded.
    entries = {e.action: e for e in db.session.scalars(sa.select(HistoryEntry).where(HistoryEntry.authority_id == authority_id))}
    assert entries["authority.updated"].changes["informal_name"] == ["Būvvalde Cēsīs", "Cēsu būvvalde"]
    assert entries["user.updated"].changes["surname"] == ["Liepiņa", "Liepa"]
    assert entries["authority.validated"].changes["status"] == ["awaiting_validation", "active"]
    assert entries["access_manager.added"].actor_user_id == world.nimic_admin.id
    assert entries["authority.validated"].actor_user_id == world.nimic_admin.id
    # The first user's mail: a temporary password, never the username.
    assert deliver_pending()["sent"] == 1
    [mail] = smtp_server.messages
    assert mail["to"] == ["ilze.liepina@cesis.lv.example"]
    assert "iliepina" not in mail["message"].as_string()
    password = mail["body"].split("Your temporary password: ")[1].split()[0]
    # The first user logs in with it and must change it first.
    first = Client(client.raw.application.test_client())
    response = first.login("iliepina", password)
    assert response.status_code == 303 and response.headers["Location"] == "/account/password"
    # The count is gone, the management tab shows the history in words.
    html = client.get(f"/authorities/{authority_id}/management").get_data(as_text=True)
    assert "Authority validated" in html and "Authority registered through an invitation" in html
    assert "menu-count" not in html


def test_save_corrections_without_validating(world, login, db, registered):
    client = login("nimic.admin")
    authority = db.session.get(Authority, registered.authority_id)
    response = client.post(f"/validation/{authority.id}", {**correction(world, authority, city="Cēsis, Vidzeme"), "action": "save"})
    assert response.status_code == 303 and response.headers["Location"] == f"/validation/{authority.id}"
    db.session.expire_all()
    authority = db.session.get(Authority, authority.id)
    assert authority.status == AuthorityStatus.AWAITING_VALIDATION and authority.city == "Cēsis, Vidzeme"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")) == 0


def test_bad_corrections_are_shown_beside_the_fields(world, login, db, registered):
    client = login("nimic.admin")
    authority = db.session.get(Authority, registered.authority_id)
    response = client.post(f"/validation/{authority.id}", {**correction(world, authority, email="bad"), "action": "validate"})
    assert response.status_code == 422 and 'id="email-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Authority, authority.id).status == AuthorityStatus.AWAITING_VALIDATION


def test_a_stale_version_is_refused(world, login, db, registered):
    client = login("nimic.admin")
    authority = db.session.get(Authority, registered.authority_id)
    response = client.post(
        f"/validation/{authority.id}",
        {**correction(world, authority, version=str(authority.version - 1 if authority.version > 1 else 99)), "action": "validate"},
    )
    assert response.status_code == 422 and "Someone else saved this authority" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Authority, authority.id).status == AuthorityStatus.AWAITING_VALIDATION


def test_duplicates_are_shown_to_the_validator(world, login, db, invite, app):
    invitation, token = invite()
    applicant = Client(app.test_client())
    applicant.get(f"/register/{token}")
    assert applicant.post("/register/", registration_form(world, official_name="Jelgavas būvvalde")).status_code == 303
    db.session.expire_all()
    authority_id = db.session.get(Invitation, invitation.id).authority_id
    html = login("nimic.admin").get(f"/validation/{authority_id}").get_data(as_text=True)
    assert "This authority may already be registered" in html
    assert f'href="/authorities/{world.plain.id}/authority"' in html and "same name" in html


def test_reject_with_a_reason(world, login, db, registered, smtp_server):
    client = login("nimic.admin")
    authority_id = registered.authority_id
    response = client.post(f"/validation/{authority_id}/reject", {"reason": "  "})
    assert response.status_code == 422 and "Give the reason for the rejection." in response.get_data(as_text=True)
    response = client.post(f"/validation/{authority_id}/reject", {"reason": "Šī iestāde jau ir reģistrēta."})
    assert response.status_code == 303 and response.headers["Location"] == "/validation/"
    db.session.expire_all()
    authority = db.session.get(Authority, authority_id)
    assert authority.status == AuthorityStatus.REJECTED
    invitation = db.session.get(Invitation, registered.id)
    assert invitation.status == InvitationStatus.REJECTED and invitation.rejection_reason == "Šī iestāde jau ir reģistrēta."
    assert db.session.scalar(sa.select(AccessManagerLink).where(AccessManagerLink.managed_authority_id == authority_id)) is None
    entry = db.session.scalar(sa.select(HistoryEntry).where(HistoryEntry.action == "authority.rejected"))
    assert entry.actor_user_id == world.nimic_admin.id and entry.changes["status"] == ["awaiting_validation", "rejected"]
    # Mail to the applicant (the invited address and the first user), with the reason; no password.
    deliver_pending()
    assert sorted(m["to"][0] for m in smtp_server.messages) == sorted(
        ["kontakti@jaunaiestade.lv.example", "ilze.liepina@cesis.lv.example"]
    )
    for mail in smtp_server.messages:
        assert "Šī iestāde jau ir reģistrēta." in mail["body"] and "password" not in mail["body"].lower()
        assert "iliepina" not in mail["message"].as_string()
    # Nothing became active: the user cannot log in, whatever the password.
    user = db.session.scalar(sa.select(User).where(User.authority_id == authority_id))
    user.password_hash = hash_password(Factory.PASSWORD)
    db.session.commit()
    assert Client(client.raw.application.test_client()).login("iliepina", Factory.PASSWORD).status_code == 422
    # A rejected registration can be neither validated nor rejected again.
    again = client.post(f"/validation/{authority_id}", {**correction(world, authority), "action": "validate"})
    assert again.status_code == 409
    assert client.post(f"/validation/{authority_id}/reject", {"reason": "x"}).status_code == 409
    db.session.expire_all()
    assert db.session.get(Authority, authority_id).status == AuthorityStatus.REJECTED


def test_users_of_an_authority_awaiting_validation_cannot_log_in(world, db, registered, app):
    user = db.session.scalar(sa.select(User).where(User.authority_id == registered.authority_id))
    user.password_hash = hash_password(Factory.PASSWORD)
    user.password_is_temporary = False
    db.session.commit()
    response = Client(app.test_client()).login(user.username, Factory.PASSWORD)
    assert response.status_code == 422 and "/login" not in (response.headers.get("Location") or "")


def test_validating_twice_changes_nothing_the_second_time(world, login, db, registered, smtp_server):
    client = login("nimic.admin")
    authority = db.session.get(Authority, registered.authority_id)
    data = {**correction(world, authority), "action": "validate"}
    assert client.post(f"/validation/{authority.id}", data).status_code == 303
    again = client.post(f"/validation/{authority.id}", data)
    assert again.status_code == 409 and "no longer awaiting validation" in again.get_data(as_text=True)
    deliver_pending()
    assert len(smtp_server.messages) == 1  # one temporary password


@pytest.mark.parametrize("who", ["ee.admin", "partial.admin", "nimic.user", "plain.admin"])
def test_others_can_neither_see_nor_validate_nor_reject(world, login, db, registered, who):
    authority_id = registered.authority_id
    authority = db.session.get(Authority, authority_id)
    client = login(who)
    for htmx in (False, True):  # not theirs to see: as if it did not exist (issue 15)
        assert client.get(f"/validation/{authority_id}", htmx=htmx).status_code == 404
        assert client.post(
            f"/validation/{authority_id}", {**correction(world, authority, city="Valka"), "action": "validate"}, htmx=htmx
        ).status_code == 404
        assert client.post(f"/validation/{authority_id}/reject", {"reason": "no"}, htmx=htmx).status_code == 404
    if who in ("nimic.user", "plain.admin"):
        assert client.get("/validation/").status_code == 403
    db.session.expire_all()
    authority = db.session.get(Authority, authority_id)
    assert authority.status == AuthorityStatus.AWAITING_VALIDATION and authority.city == "Cēsis"
    assert db.session.get(Invitation, registered.id).status == InvitationStatus.REGISTERED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")) == 0


def test_an_unknown_registration_is_404(world, login):
    client = login("nimic.admin")
    assert client.get(f"/validation/{world.plain.id}").status_code == 404
    assert client.get("/validation/999999").status_code == 404


def test_the_review_as_a_partial_and_after_the_decision(world, login, db, registered):
    client = login("nimic.admin")
    authority_id = registered.authority_id
    partial = client.get(f"/validation/{authority_id}", htmx=True)
    html = partial.get_data(as_text=True)
    assert partial.status_code == 200 and "<html" not in html and 'id="review"' in html
    assert "HX-Request" in partial.headers["Vary"]
    authority = db.session.get(Authority, authority_id)
    validated = client.post(f"/validation/{authority_id}", {**correction(world, authority), "action": "validate"}, htmx=True)
    assert validated.status_code == 204 and validated.headers["HX-Redirect"] == f"/authorities/{authority_id}/modules"
    # The modules tab opens ready to grant (step 4).
    modules = client.get(f"/authorities/{authority_id}/modules").get_data(as_text=True)
    assert "Grant access to a module" in modules
    page = client.get(f"/validation/{authority_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "no longer awaiting validation" in html and "Save and validate" not in html


def test_the_list_shows_the_registrations_in_the_order_they_came_in(world, login, db, invite, app, smtp_server):
    """Oldest registration first, whatever the order of the invitations (the second invitation
    here is used first). Found by mutation testing (docs/mutation.md)."""
    from datetime import timedelta

    import time_machine

    from imi_web.models import utcnow

    _first, first_token = invite(email="first@example.lv")
    _second, second_token = invite(email="second@example.lv")
    moment = utcnow()
    for token, name, email, minutes in (
        (second_token, "Valmieras novada dome", "dome@valmiera.lv.example", 0),
        (first_token, "Cēsu novada būvvalde", "buvvalde@cesis.lv.example", 5),
    ):
        with time_machine.travel(moment + timedelta(minutes=minutes), tick=False):
            applicant = Client(app.test_client())
            assert applicant.get(f"/register/{token}").status_code == 303
            form = registration_form(world, official_name=name, email=email, user_email=f"user.{email}")
            assert applicant.post("/register/", form).status_code == 303
    html = login("nimic.admin").get("/validation/").get_data(as_text=True)
    assert "2 registrations awaiting validation" in html
    assert html.index("Valmieras novada dome") < html.index("Cēsu novada būvvalde")


def test_a_rejection_is_in_the_history_and_mailed_once_per_address_in_the_applicants_language(
    world, login, db, invite, app, smtp_server
):
    """Who rejected what is filed for the authority and for the invitation (R-3.5); the applicant
    gets one mail per address (here the invited address is also the first user's, in another
    case), in the invitation's language (R-6.3), naming both authorities; it leaves the list
    For validation (R-2.2.4).
    Found by mutation testing (docs/mutation.md)."""
    invitation, token = invite(email="Ilze.Liepina@Cesis.lv.example", language="en")
    applicant = Client(app.test_client())
    assert applicant.get(f"/register/{token}").status_code == 303
    assert applicant.post("/register/", registration_form(world)).status_code == 303  # ilze.liepina@cesis.lv.example
    deliver_pending()
    smtp_server.messages.clear()
    db.session.expire_all()
    authority_id = db.session.get(Invitation, invitation.id).authority_id
    reason = "Šī iestāde jau ir reģistrēta."
    client = login("nimic.admin")
    assert client.post(f"/validation/{authority_id}/reject", {"reason": reason}).status_code == 303
    assert f'href="/validation/{authority_id}"' not in client.get("/validation/").get_data(as_text=True)  # not listed
    db.session.expire_all()
    entries = {
        entry.action: entry
        for entry in db.session.scalars(
            sa.select(HistoryEntry).where(HistoryEntry.action.in_(["authority.rejected", "invitation.rejected"]))
        )
    }
    assert entries["authority.rejected"].changes["rejection_reason"] == [None, reason]
    filed = entries["invitation.rejected"]
    assert filed.actor_user_id == world.nimic_admin.id
    assert filed.changes == {"authority": [None, "Cēsu novada būvvalde"], "rejection_reason": [None, reason]}
    deliver_pending()
    [mail] = smtp_server.messages
    assert mail["to"] == ["Ilze.Liepina@Cesis.lv.example"]
    assert mail["subject"] == "IMI: the registration of Cēsu novada būvvalde has been rejected"
    assert f"{world.nimic.official_name} has rejected the registration of Cēsu novada" in mail["body"]
    assert reason in mail["body"]


def test_the_validation_is_in_the_history_of_the_invitation_and_the_corrections_keep_an_emptied_phone_empty(
    world, login, db, registered
):
    """R-3.5: the validation is filed under the invitation too, and the corrections of the
    authority and of its first user name who made them; a phone the access manager empties
    stays empty (R-2.2.4). Found by mutation testing (docs/mutation.md)."""
    client = login("nimic.admin")
    authority_id = registered.authority_id
    authority = db.session.get(Authority, authority_id)
    form = {**correction(world, authority, city="Cēsis, Vidzeme", user_phone="", surname="Liepa"), "action": "validate"}
    assert client.post(f"/validation/{authority_id}", form).status_code == 303
    db.session.expire_all()
    user = db.session.scalar(sa.select(User).where(User.authority_id == authority_id))
    assert user.phone == "" and user.surname == "Liepa"
    entries = {entry.action: entry for entry in db.session.scalars(sa.select(HistoryEntry))}
    assert entries["authority.updated"].actor_user_id == world.nimic_admin.id
    assert entries["authority.updated"].changes == {"city": ["Cēsis", "Cēsis, Vidzeme"]}
    updated = entries["user.updated"]
    assert updated.actor_user_id == world.nimic_admin.id
    assert updated.changes == {"surname": ["Liepiņa", "Liepa"], "phone": ["+371 20000001", ""]}
    assert entries["authority.validated"].changes["temporary_password_sent_to"] == [None, ["Ilze Liepa"]]
    validated = entries["invitation.validated"]
    assert validated.actor_user_id == world.nimic_admin.id and validated.authority_id == world.nimic.id
    assert validated.subject_id == registered.id
    assert validated.changes == {"authority": [None, "Cēsu novada būvvalde"]}


def test_a_registration_decided_meanwhile_is_refused_by_the_operations_themselves(world, db, registered):
    """Two access managers decide at once: both passed the view's check, the operations' own
    guard refuses the second one with the reason (not an error page).
    Found by mutation testing (docs/mutation.md)."""
    from imi_web.refusals import Refused
    from imi_web.tasks.operations import (
        NOT_AWAITING,
        correct_registration,
        reject_registration,
        validate_registration,
    )

    admin = world.nimic_admin
    reject_registration(admin, registered, "Šī iestāde jau ir reģistrēta.")
    db.session.commit()
    attempts = {
        "validate": lambda: validate_registration(admin, registered),
        "reject": lambda: reject_registration(admin, registered, "Vēlreiz."),
        "correct": lambda: correct_registration(
            admin, registered, data={}, classification_entries=[], user_data={}, expected_version=1
        ),
    }
    for name, attempt in attempts.items():
        with pytest.raises(Refused) as refused:
            attempt()
        assert refused.value.message() == str(NOT_AWAITING), name
        db.session.rollback()
    assert db.session.get(Authority, registered.authority_id).status == AuthorityStatus.REJECTED


def test_the_first_user_stays_the_one_who_registered_when_others_are_added(world, login, db, registered, factory):
    """An access manager may register more users of an authority awaiting validation; the review
    still shows and corrects the first one, whatever order the database keeps the rows in (on
    PostgreSQL an updated row moves to the end). Found by mutation testing (docs/mutation.md)."""
    authority = db.session.get(Authority, registered.authority_id)
    first = db.session.scalar(sa.select(User).where(User.authority_id == authority.id))
    factory.user(authority, username="jberzins", first_name="Jānis", surname="Bērziņš")
    factory.commit()
    first.phone = "+371 20000002"  # an UPDATE: PostgreSQL writes the row anew
    db.session.commit()
    client = login("nimic.admin")
    html = client.get(f"/validation/{authority.id}").get_data(as_text=True)
    assert 'value="Ilze"' in html and "Username: iliepina" in html and "Jānis" not in html
    form = {**correction(world, authority, surname="Liepa"), "action": "save"}
    assert client.post(f"/validation/{authority.id}", form).status_code == 303
    db.session.expire_all()
    assert db.session.get(User, first.id).surname == "Liepa"
    assert db.session.scalar(sa.select(User.surname).where(User.username == "jberzins")) == "Bērziņš"
