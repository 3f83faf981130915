"""Menu "Send e-mail" (R-6.1, R-1.3, R-6.2): selection, preview, one mail per recipient."""

import re

import pytest
import sqlalchemy as sa

from imi_web.outbox import deliver_pending
from imi_web.models import AccessManagerLink, AuthorityStatus, HistoryEntry, ModuleAccess, ModuleRole, OutboxMessage
from tests.conftest import BACKENDS

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.config()


@pytest.fixture
def mailing(world, db, factory):
    """Authorities the LV NIMIC manages (one deactivated), one it does not, users of each kind.

    Administrators of the managed active ones: jelgava (en), riga (lv), and riga's second
    admin shares jelgava's address (one mail to it). Plain users: one in each.
    """
    riga = factory.authority(name="Rīgas būvvalde", city="Rīga")
    liepaja = factory.authority(name="Liepājas būvvalde", status=AuthorityStatus.DEACTIVATED)
    for managed in (riga, liepaja):
        db.session.add(AccessManagerLink(managed=managed, manager=world.nimic))
    db.session.add(ModuleAccess(authority=riga, module=world.svc, role=ModuleRole.AUTHORITY))
    world.plain_admin.email = "admin@jelgava.lv.example"
    people = {
        "jelgava.user": factory.user(world.plain, email="user@jelgava.lv.example"),
        "riga.admin": factory.user(riga, is_admin=True, email="admin@riga.lv.example", language="lv"),
        "riga.admin2": factory.user(riga, is_admin=True, email="ADMIN@jelgava.lv.example"),
        "riga.user": factory.user(riga, email="user@riga.lv.example"),
        "liepaja.admin": factory.user(liepaja, is_admin=True, email="admin@liepaja.lv.example"),
        "health.admin": factory.user(world.coordinator, is_admin=True, email="admin@health.lv.example"),
    }
    world.estonia_admin.email = "admin@asutus.ee.example"
    factory.commit()
    return {"riga": riga, "liepaja": liepaja, **people}


MANAGED_ADMINS = {"admin@jelgava.lv.example", "admin@riga.lv.example"}
MANAGED_USERS = MANAGED_ADMINS | {"user@jelgava.lv.example", "user@riga.lv.example"}
NEVER = {"admin@liepaja.lv.example", "admin@asutus.ee.example"}


def message(**changes):
    data = {
        "audience": "administrators",
        "selection": "matching",
        "subject": "Ikgadējā IMI sanāksme",
        "message": "Labdien!\nSanāksme notiks 3. decembrī: <telpa A & B>.",
        "mine": "yes",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def outbox_count(db):
    return db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))


def sent_history(db):
    return db.session.scalars(sa.select(HistoryEntry).where(HistoryEntry.action == "mailing.sent")).all()


def preview_numbers(response):
    html = response.get_data(as_text=True)
    recipients = re.search(r'id="preview-recipients"><strong>(\d+)</strong>', html)
    authorities = re.search(r'id="preview-authorities"><strong>(\d+)</strong>', html)
    assert recipients and authorities, html
    return int(recipients.group(1)), int(authorities.group(1))


def listed(response):
    return sorted(re.findall(r'<label for="mail-authority-\d+">([^<]+)</label>', response.get_data(as_text=True)))


def test_default_selection_is_the_authorities_i_manage(world, mailing, login):
    page = login("nimic.admin").get("/mailing/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and 'aria-current="page"' in html
    assert listed(page) == ["Jelgavas būvvalde", "Rīgas būvvalde"]  # active, managed by the NIMIC
    fragment = login("nimic.admin").get("/mailing/", htmx=True)
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    assert 'id="composer"' in fragment.get_data(as_text=True) and "HX-Request" in fragment.headers["Vary"]
    assert "2 authorities match the criteria" in html
    assert re.search(r'<input checked id="selection-0"[^>]*value="matching"', html)  # all matching
    assert re.search(r'<input checked id="audience-0"[^>]*value="administrators"', html)
    assert re.search(r'name="mine" value="yes" checked', html)  # "Only my authorities": Yes


@pytest.mark.parametrize("changes,recipients,authorities", [
    ({}, 2, 2),  # admins of Jelgava and Rīga; Rīga's second admin shares Jelgava's address
    ({"audience": "all_users"}, 4, 2),
    ({"mine": "no"}, 5, 5),  # every active LV authority: + NIMIC, health inspectorate, centre
    ({"mine": "no", "q": "veselibas"}, 1, 1),
    ({"city": "riga"}, 2, 1),  # Rīga: admin@riga + ADMIN@jelgava
    ({"module": "{svc}", "audience": "all_users"}, 3, 1),
])
def test_preview_counts_recipients_and_authorities(world, mailing, login, db, changes, recipients, authorities):
    changes = {k: v.format(svc=world.svc.id) for k, v in changes.items()}
    response = login("nimic.admin").post("/mailing/", message(action="preview", **changes))
    assert response.status_code == 200
    assert preview_numbers(response) == (recipients, authorities)
    assert outbox_count(db) == 0  # a preview sends nothing
    assert f"Send to {recipients} recipient" in response.get_data(as_text=True)


def test_send_delivers_one_mail_per_recipient_through_smtp(world, mailing, login, db, smtp_server):
    client = login("nimic.admin")
    response = client.post("/mailing/send", message(audience="all_users", expected_recipients="4"))
    assert response.status_code == 303 and response.headers["Location"].endswith("/mailing/")
    assert "Recipients: 4; authorities: 2." in client.get("/mailing/").get_data(as_text=True)
    assert smtp_server.messages == []  # nothing is sent inside the request
    assert deliver_pending() == {"sent": 4, "failed": 0}
    mails = smtp_server.messages
    assert sorted(m["to"][0].lower() for m in mails) == sorted(a.lower() for a in MANAGED_USERS)
    for mail in mails:
        raw = mail["message"]
        assert len(mail["to"]) == 1  # one envelope recipient …
        assert raw["To"].lower() == mail["to"][0].lower()  # … named alone in the header
        assert raw["Cc"] is None and raw["Bcc"] is None
        others = {a for a in MANAGED_USERS | NEVER if a != mail["to"][0].lower()}
        assert not any(other in raw.as_string().lower() for other in others)
        assert mail["subject"] == "Ikgadējā IMI sanāksme"
        assert "Sanāksme notiks 3. decembrī: <telpa A & B>." in mail["body"]  # as written, not escaped
    wrapper = {m["to"][0]: m["body"] for m in mails}
    assert "piekļuves pārvaldnieks" in wrapper["admin@riga.lv.example"]  # the recipient's language
    assert "This message was sent through IMI" in wrapper["user@riga.lv.example"]
    # Recorded in history: who sent what subject to how many.
    [entry] = sent_history(db)
    assert entry.actor_name == world.nimic_admin.full_name and entry.authority_id == world.nimic.id
    assert entry.subject_label == "Ikgadējā IMI sanāksme"
    assert entry.changes["recipients"] == [None, 4] and entry.changes["authorities"] == [None, 2]
    tab = client.get(f"/authorities/{world.nimic.id}/management").get_data(as_text=True)
    assert "E-mail sent to authorities" in tab and "Number of recipients" in tab


def test_each_address_gets_one_mail(world, mailing, login, db, smtp_server):
    login("nimic.admin").post("/mailing/send", message(expected_recipients="2"))
    assert deliver_pending() == {"sent": 2, "failed": 0}
    assert sorted(m["to"][0].lower() for m in smtp_server.messages) == sorted(MANAGED_ADMINS)


@pytest.mark.parametrize("subject", [
    "Sanāksme\r\nBcc: everyone@evil.example",
    "Sanāksme\nBcc: everyone@evil.example",
    "Sanāksme\rBcc: everyone@evil.example",
])
@pytest.mark.parametrize("url,action", [("/mailing/", "preview"), ("/mailing/send", None)])
def test_header_injection_in_the_subject_is_refused(world, mailing, login, db, smtp_server, subject, url, action):
    client = login("nimic.admin")
    for htmx in (False, True):
        response = client.post(url, message(subject=subject, action=action, expected_recipients="2"), htmx=htmx)
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        error = re.search(r'<ul class="errors" id="subject-error">\s*<li>([^<]+)</li>', html)
        assert error and "single line" in error.group(1)
        assert ('<html' in html) is not htmx
    assert outbox_count(db) == 0 and sent_history(db) == []
    assert deliver_pending() == {"sent": 0, "failed": 0} and smtp_server.messages == []


def test_empty_fields_and_empty_selection_are_refused_beside_the_fields(world, mailing, login, db):
    client = login("nimic.admin")
    response = client.post("/mailing/", message(subject="", message="", action="preview"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="subject-error"' in html and 'id="message-error"' in html
    response = client.post("/mailing/", message(selection="chosen", action="preview"))
    assert response.status_code == 422 and "Tick at least one authority" in response.get_data(as_text=True)
    nobody = client.post("/mailing/", message(q="no such authority", action="preview"))
    assert nobody.status_code == 422 and "No one would receive this message" in nobody.get_data(as_text=True)
    assert outbox_count(db) == 0


def test_another_countrys_authorities_cannot_be_selected(world, mailing, login, db, smtp_server):
    client = login("nimic.admin")
    chosen = message(selection="chosen", authority=[str(world.estonia.id), str(world.plain.id)])
    assert preview_numbers(client.post("/mailing/", {**chosen, "action": "preview"})) == (1, 1)
    assert client.post("/mailing/send", {**chosen, "expected_recipients": "1"}).status_code == 303
    only_estonia = message(selection="chosen", authority=[str(world.estonia.id)], expected_recipients="1")
    assert client.post("/mailing/send", only_estonia).status_code == 422
    # A deactivated authority ticked by hand gets nothing either.
    deactivated = message(selection="chosen", authority=[str(mailing["liepaja"].id)], expected_recipients="1")
    assert client.post("/mailing/send", deactivated).status_code == 422
    assert deliver_pending() == {"sent": 1, "failed": 0}
    assert [m["to"] for m in smtp_server.messages] == [["admin@jelgava.lv.example"]]
    # The Estonian access manager cannot reach Latvian authorities either.
    estonian = login("ee.admin")
    response = estonian.post("/mailing/send", message(selection="chosen", authority=[str(world.plain.id)], expected_recipients="1"))
    assert response.status_code == 422
    assert "Jelgavas" not in listed(estonian.get("/mailing/?mine=no"))
    assert len(sent_history(db)) == 1


def test_a_changed_number_of_recipients_is_shown_again_not_sent(world, mailing, login, db):
    response = login("nimic.admin").post("/mailing/send", message(expected_recipients="7"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "has changed since the preview" in html
    assert preview_numbers(response) == (2, 2)
    assert outbox_count(db) == 0 and sent_history(db) == []


def test_list_of_authorities_fragment_pages_and_keeps_ticks(world, mailing, login, monkeypatch):
    from imi_web.send_email import operations

    monkeypatch.setattr(operations.candidates, "__defaults__", (1,))
    client = login("nimic.admin")
    first = client.post("/mailing/authorities", message(authority=[str(mailing["riga"].id)]), htmx=True)
    html = first.get_data(as_text=True)
    assert first.status_code == 200 and "<html" not in html and 'id="mail-authorities"' in html
    assert listed(first) == ["Jelgavas būvvalde"] and "Page 1 of 2" in html and "Ticked: 1" in html
    assert f'<input type="hidden" name="authority" value="{mailing["riga"].id}">' in html  # kept
    second = client.post("/mailing/authorities", message(page="2", authority=[str(mailing["riga"].id)]), htmx=True)
    assert listed(second) == ["Rīgas būvvalde"]
    assert f'value="{mailing["riga"].id}" checked' in second.get_data(as_text=True)
    filtered = client.post("/mailing/authorities", message(q="jelg"), htmx=True)
    assert listed(filtered) == ["Jelgavas būvvalde"] and "1 authority matches the criteria" in filtered.get_data(as_text=True)
    # Without JavaScript, the same state comes back as the whole page.
    page = client.post("/mailing/", message(action="filter", q="rig"))
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True) and listed(page) == ["Rīgas būvvalde"]
    assert 'value="Ikgadējā IMI sanāksme"' in page.get_data(as_text=True)  # the message is kept


def test_preview_then_change_keeps_everything(world, mailing, login):
    client = login("nimic.admin")
    preview = client.post("/mailing/", message(action="preview", q="rig"), htmx=True)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "<html" not in html and 'data-focus' in html
    assert '<input type="hidden" name="q" value="rig">' in html
    back = client.post("/mailing/", message(action="edit", q="rig"), htmx=True)
    assert back.status_code == 200 and 'value="rig"' in back.get_data(as_text=True)


NOT_ALLOWED = ["nimic.user", "plain.admin"]  # no administrator rights; admin of no access manager


@pytest.mark.parametrize("who", NOT_ALLOWED)
def test_who_may_not_send_gets_403_on_every_route_and_nothing_is_sent(world, mailing, login, db, who):
    client = login(who)
    for htmx in (False, True):
        assert client.get("/mailing/", htmx=htmx).status_code == 403
        assert client.post("/mailing/", message(action="preview"), htmx=htmx).status_code == 403
        assert client.post("/mailing/authorities", message(), htmx=htmx).status_code == 403
        assert client.post("/mailing/send", message(expected_recipients="2"), htmx=htmx).status_code == 403
    assert outbox_count(db) == 0 and sent_history(db) == []
    assert "/mailing/" not in client.get("/").get_data(as_text=True)  # not in the menu either


def test_anonymous_and_csrf(world, mailing, login, app, db):
    from tests.conftest import Client

    anonymous = Client(app.test_client())
    assert anonymous.get("/mailing/").status_code in (302, 303)
    assert anonymous.post("/mailing/send", message(expected_recipients="2"), csrf=False).status_code in (302, 303, 400)
    client = login("nimic.admin")
    assert client.post("/mailing/send", message(expected_recipients="2"), csrf=False).status_code == 400
    assert outbox_count(db) == 0


def test_partial_delegate_may_send_within_its_country(world, mailing, login, db):
    client = login("partial.admin")
    assert client.get("/mailing/").status_code == 200
    response = client.post("/mailing/", message(action="preview", mine="no", q="jelgavas"))
    assert preview_numbers(response) == (1, 1)


def test_long_lists_are_capped_and_walked_in_name_order(world, mailing, login, monkeypatch):
    from imi_web import authority_search
    from imi_web.send_email import operations

    monkeypatch.setattr(authority_search, "COUNT_CAP", 1)
    monkeypatch.setattr(operations.candidates, "__defaults__", (1,))
    client = login("nimic.admin")
    for mine in ("yes", "no"):
        first = client.post("/mailing/authorities", message(mine=mine), htmx=True)
        html = first.get_data(as_text=True)
        assert "More than 1 authorities match the criteria" in html and "Page 1" in html and 'value="2"' in html
        assert listed(first) == (["Jelgavas būvvalde"] if mine == "yes" else ["Akadēmiskās informācijas centrs"])
        second = client.post("/mailing/authorities", message(mine=mine, page="2"), htmx=True)
        assert listed(second) == (["Rīgas būvvalde"] if mine == "yes" else ["Jelgavas būvvalde"])
    # The preview still counts every one of them.
    assert preview_numbers(client.post("/mailing/", message(action="preview"))) == (2, 2)
