"""Registering an authority (R-2.0, R-2.1.1–R-2.1.3, R-2.1.6) through the page."""

import pytest
import sqlalchemy as sa

from imi_web.outbox import deliver_pending
from imi_web.models import AccessManagerLink, Authority, HistoryEntry, OutboxMessage, PasswordStatus, User
from tests.conftest import BACKENDS

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.config()


def form(world, **overrides):
    data = {
        "official_name": "Rīgas pilsētas būvvalde",
        "informal_name": "Būvvalde — būvniecības uzraudzība",
        "phone": "+371 67012345",
        "email": "info@buvvalde.lv.example",
        "website": "https://www.buvvalde.lv.example",
        "street_address": "Amatu iela 4",
        "postal_code": "LV-1050",
        "city": "Rīga",
        "classification": [world.general.entries[1].id],
        "first_name": "Anna",
        "surname": "Ozola",
        "user_email": "anna.ozola@buvvalde.lv.example",
        "user_phone": "+371 20000000",
        "user_language": "lv",
    }
    data.update(overrides)
    return data


def test_register_authority_with_first_user(world, login, db, smtp_server):
    client = login("nimic.admin")
    page = client.get("/authorities/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for label in ("Official name", "Informal name", "Fields of competence", "First user", "Construction"):
        assert label in html
    response = client.post("/authorities/new", form(world))
    assert response.status_code == 303
    authority = db.session.scalar(sa.select(Authority).where(Authority.official_name == "Rīgas pilsētas būvvalde"))
    assert response.headers["Location"] == f"/authorities/{authority.id}/modules"
    assert authority.is_active and authority.country_id == world.nimic.country_id
    assert [e.code for e in authority.classification_entries] == ["BUILD"]
    # the registering access manager's authority manages it.
    link = db.session.scalar(sa.select(AccessManagerLink).where(AccessManagerLink.managed_authority_id == authority.id))
    assert link.manager_authority_id == world.nimic.id
    # the first user is an administrator with a temporary password.
    user = db.session.scalar(sa.select(User).where(User.authority_id == authority.id))
    assert user.is_admin and user.password_status() == PasswordStatus.TEMPORARY
    assert user.username == "aozola" and user.language == "lv"
    # the username on screen (once), the password only in the mail.
    step2 = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "aozola" in step2 and "never sent by e-mail" in step2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 1
    assert deliver_pending()["sent"] == 1
    [mail] = smtp_server.messages
    assert mail["to"] == ["anna.ozola@buvvalde.lv.example"]
    assert "aozola" not in mail["message"].as_string()
    password = mail["body"].split("Jūsu pagaidu parole: ")[1].split()[0]
    assert password not in step2
    # History: the registration, the manager, the user; actor recorded; no password.
    actions = [e.action for e in db.session.scalars(sa.select(HistoryEntry).where(HistoryEntry.authority_id == authority.id))]
    assert actions == ["authority.registered", "access_manager.added", "user.registered"]
    for entry in db.session.scalars(sa.select(HistoryEntry).where(HistoryEntry.authority_id == authority.id)):
        assert entry.actor_user_id == world.nimic_admin.id
        assert password not in str(entry.changes)


def test_an_empty_website_stays_empty_and_the_history_has_the_rest(world, login, db):
    """The one optional field left empty is stored empty, and the registration's history entry
    holds the data given and the classification (R-3.5). Found by mutation testing
    (docs/mutation.md)."""
    client = login("nimic.admin")
    assert client.post("/authorities/new", form(world, website="")).status_code == 303
    authority = db.session.scalar(sa.select(Authority).where(Authority.official_name == "Rīgas pilsētas būvvalde"))
    assert authority.website == ""
    entry = db.session.scalar(sa.select(HistoryEntry).where(HistoryEntry.action == "authority.registered"))
    assert entry.changes["official_name"] == [None, "Rīgas pilsētas būvvalde"] and "website" not in entry.changes
    assert entry.changes["classification"] == [None, ["BUILD"]]


def test_bad_input_is_shown_beside_the_fields_and_changes_nothing(world, login, db):
    client = login("nimic.admin")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Authority))
    response = client.post(
        "/authorities/new",
        form(world, official_name="", email="not-an-address", website="www", user_email="", classification=[99999]),
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="official_name-error"' in html and "Fill in this field." in html
    assert 'id="email-error"' in html and "Enter a valid e-mail address." in html
    assert 'id="website-error"' in html
    assert 'id="user_email-error"' in html
    assert 'id="classification-error"' in html
    assert 'aria-invalid="true"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Authority)) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_bad_input_in_latvian(world, app, db, factory):
    from tests.conftest import Client, Factory

    factory.user(world.nimic, username="lv.admin", is_admin=True, language="lv")
    factory.commit()
    client = Client(app.test_client(), language="lv")
    client.login("lv.admin", Factory.PASSWORD)
    html = client.post("/authorities/new", form(world, official_name="")).get_data(as_text=True)
    assert "Aizpildiet šo lauku." in html


def test_duplicates_are_shown_first_then_can_be_overridden(world, login, db, factory):
    existing = factory.authority(name="Jelgavas Būvvalde", email="info@jelgava.lv.example")
    factory.commit()
    client = login("nimic.admin")
    first = client.post("/authorities/new", form(world, official_name="SIA „Jelgavas būvvalde”"))
    html = first.get_data(as_text=True)
    assert first.status_code == 200
    assert "This authority may already be registered" in html
    assert f'href="/authorities/{existing.id}/authority"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Authority).where(Authority.official_name.like("%Jelgavas%"))) == 2  # world's + existing
    fingerprint = html.split('name="not_a_duplicate" type="hidden" value="')[1].split('"')[0]
    confirmed = client.post(
        "/authorities/new", form(world, official_name="SIA „Jelgavas būvvalde”", not_a_duplicate=fingerprint)
    )
    assert confirmed.status_code == 303
    # A changed name is checked again, whatever the confirmation said.
    again = client.post("/authorities/new", form(world, official_name="Jelgavas būvvalde", not_a_duplicate=fingerprint))
    assert again.status_code == 200 and "This authority may already be registered" in again.get_data(as_text=True)


def test_the_country_is_the_access_managers_own(world, login, db):
    """R-1.3: an access manager registers authorities of its own country only."""
    client = login("ee.admin")
    response = client.post("/authorities/new", form(world, official_name="Eesti Ehitusamet", classification=[]))
    assert response.status_code == 303
    authority = db.session.scalar(sa.select(Authority).where(Authority.official_name == "Eesti Ehitusamet"))
    assert authority.country.code == "EE"
