"""Edit authority (R-3.2): save with history; a concurrent save is refused, never lost."""

import re

import pytest
import sqlalchemy as sa

from imi_web.models import Authority, HistoryEntry
from tests.conftest import BACKENDS

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


def data(world, version, **overrides):
    values = {
        "official_name": "Jelgavas valstspilsētas būvvalde",
        "informal_name": "Būvvalde",
        "phone": "+371 63000000",
        "email": "info@jelgava.lv.example",
        "website": "https://jelgava.lv.example",
        "street_address": "Lielā iela 11",
        "postal_code": "LV-3001",
        "city": "Jelgava",
        "classification": [world.general.entries[1].id],
        "version": version,
    }
    values.update(overrides)
    return values


def version_in(html):
    return re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)


def test_edit_saves_and_records_old_and_new(world, login, db):
    client = login("nimic.admin")
    url = f"/authorities/{world.plain.id}/authority/edit"
    tab = client.get(f"/authorities/{world.plain.id}/authority").get_data(as_text=True)
    assert "Edit authority" in tab
    page = client.get(url)
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    fragment = client.get(url, htmx=True)
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    saved = client.post(url, data(world, version_in(fragment.get_data(as_text=True))), htmx=True)
    assert saved.status_code == 200 and 'id="authority-tabs"' in saved.get_data(as_text=True)
    db.session.expire_all()
    authority = db.session.get(Authority, world.plain.id)
    assert authority.official_name == "Jelgavas valstspilsētas būvvalde" and authority.city == "Jelgava"
    assert authority.search_name.startswith("jelgavas valstspilsetas buvvalde")
    entry = db.session.scalar(sa.select(HistoryEntry).where(HistoryEntry.action == "authority.updated"))
    assert entry.actor_user_id == world.nimic_admin.id
    assert entry.changes["official_name"] == ["Jelgavas būvvalde", "Jelgavas valstspilsētas būvvalde"]
    assert entry.changes["classification"] == [[], ["BUILD"]]


def test_a_website_left_empty_is_saved_empty(world, login, db):
    """The one optional field, left empty, is saved empty. Found by mutation testing
    (docs/mutation.md)."""
    client = login("nimic.admin")
    url = f"/authorities/{world.plain.id}/authority/edit"
    fragment = client.get(url, htmx=True).get_data(as_text=True)
    assert client.post(url, data(world, version_in(fragment), website=""), htmx=True).status_code == 200
    db.session.expire_all()
    assert db.session.get(Authority, world.plain.id).website == ""


def test_bad_input_beside_the_fields(world, login, db):
    client = login("nimic.admin")
    url = f"/authorities/{world.plain.id}/authority/edit"
    version = version_in(client.get(url).get_data(as_text=True))
    response = client.post(url, data(world, version, official_name="", email="nope"), htmx=True)
    assert response.status_code == 422 and response.headers["HX-Retarget"] == "#tab-panel"
    html = response.get_data(as_text=True)
    assert 'id="official_name-error"' in html and 'id="email-error"' in html
    db.session.expire_all()
    assert db.session.get(Authority, world.plain.id).official_name == "Jelgavas būvvalde"


def test_concurrent_edit_second_save_is_refused(world, login, db):
    first, second = login("nimic.admin"), login("plain.admin")
    url = f"/authorities/{world.plain.id}/authority/edit"
    v1 = version_in(first.get(url).get_data(as_text=True))
    v2 = version_in(second.get(url).get_data(as_text=True))
    assert v1 == v2
    assert first.post(url, data(world, v1, city="Jelgava")).status_code == 303
    refused = second.post(url, data(world, v2, city="Ozolnieki", classification=[]))
    assert refused.status_code == 422
    assert "Someone else saved this authority while you were editing it." in refused.get_data(as_text=True)
    db.session.expire_all()
    authority = db.session.get(Authority, world.plain.id)
    assert authority.city == "Jelgava" and [e.code for e in authority.classification_entries] == ["BUILD"]
    # Reloaded, the second editor can save on top of the current version.
    v3 = version_in(second.get(url).get_data(as_text=True))
    assert second.post(url, data(world, v3, city="Ozolnieki")).status_code == 303


def test_who_may_not_edit(world, login, db):
    url = f"/authorities/{world.plain.id}/authority/edit"
    for who in ("nimic.user", "ee.admin"):
        client = login(who)
        for htmx in (False, True):  # they may not see it at all: as if it did not exist
            assert client.get(url, htmx=htmx).status_code == 404
            assert client.post(url, data(world, 1), htmx=htmx).status_code == 404
    other = login("plain.admin")
    assert other.get(f"/authorities/{world.coordinator.id}/authority/edit").status_code == 404
    db.session.expire_all()
    assert db.session.get(Authority, world.plain.id).official_name == "Jelgavas būvvalde"


def test_edit_authority_unlocks_the_other_tabs_until_finished(world, login, db):
    """R-3.2: "Edit authority" unlocks Classification, Modules and Management details; "Finish
    editing" locks them again. The mode is per authority and per session."""
    from imi_web.models import ModuleAccess, ModuleRole

    db.session.add(ModuleAccess(authority=world.plain, module=world.svc, role=ModuleRole.AUTHORITY))
    db.session.commit()
    client = login("nimic.admin")
    base = f"/authorities/{world.plain.id}"
    locked = client.get(base + "/modules").get_data(as_text=True)
    assert "Suspend access" not in locked and "Grant access to a module" not in locked
    assert "To change the data on this tab, choose:" in locked and f'href="{base}/authority/edit"' in locked
    assert client.get(base + "/authority/edit").status_code == 200
    unlocked = client.get(base + "/modules", htmx=True).get_data(as_text=True)
    assert "Suspend access" in unlocked and "Grant access to a module" in unlocked and "Finish editing" in unlocked
    assert "Change the classification" in client.get(base + "/classification").get_data(as_text=True)
    assert 'id="access-manager-form"' in client.get(base + "/management").get_data(as_text=True)
    # Another authority is not in edit mode; another session neither.
    assert "Finish editing" not in client.get(f"/authorities/{world.partial.id}/modules").get_data(as_text=True)
    assert "Suspend access" not in login("nimic.admin").get(base + "/modules").get_data(as_text=True)
    finished = client.post(base + "/finish-editing", {"tab": "modules"}, htmx=True)
    html = finished.get_data(as_text=True)
    assert finished.status_code == 200 and 'id="authority-tabs"' in html and "Suspend access" not in html
    assert client.post(base + "/finish-editing", {"tab": "modules"}).headers["Location"].endswith(base + "/modules")


def test_edit_mode_shows_nothing_to_those_who_may_not_edit(world, login):
    client = login("ee.admin")
    assert client.get(f"/authorities/{world.plain.id}/authority/edit").status_code == 404
    assert client.post(f"/authorities/{world.plain.id}/finish-editing", htmx=True).status_code == 404
