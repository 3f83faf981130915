"""Tab "Management details" (R-3.5, R-1.2, R-1.3): access managers and delegation by the NIMIC."""

import re

import pytest
import sqlalchemy as sa

from imi_web.models import AccessManagerLink, Authority, DelegationScope, HistoryEntry
from tests.authorities.conftest import start_editing
from tests.conftest import BACKENDS

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


def managers_of(db, authority):
    db.session.expire_all()
    return set(
        db.session.scalars(
            sa.select(AccessManagerLink.manager_authority_id).where(AccessManagerLink.managed_authority_id == authority.id)
        )
    )


def entries(db, action):
    db.session.expire_all()
    return db.session.scalars(sa.select(HistoryEntry).where(HistoryEntry.action == action).order_by(HistoryEntry.id)).all()


def add(client, authority, manager_id, htmx=False):
    return client.post(f"/authorities/{authority.id}/management/managers", {"manager": manager_id}, htmx=htmx)


def remove(client, authority, manager, htmx=False):
    return client.post(f"/authorities/{authority.id}/management/managers/{manager.id}/remove", htmx=htmx)


def delegate(client, authority, scope, modules=(), htmx=False):
    return client.post(
        f"/authorities/{authority.id}/management/delegation",
        {"scope": scope, "modules": [m.id for m in modules]},
        htmx=htmx,
    )


# --- access managers (R-3.5) ----------------------------------------------------------------


def test_tab_offers_the_country_access_managers(world, login):
    client = login("nimic.admin")
    html = client.get(f"/authorities/{world.plain.id}/management").get_data(as_text=True)
    assert 'id="access-manager-form"' not in html and "Remove" not in html  # not editing
    html = start_editing(client, world.plain).get(f"/authorities/{world.plain.id}/management").get_data(as_text=True)
    assert "<html" in html and 'id="access-manager-form"' in html
    assert world.partial.official_name in html  # a delegated access manager of LV
    assert world.coordinator.official_name not in html  # not an access manager
    assert world.estonia.official_name not in html  # another country
    assert "Remove" in html


def test_partial_delegate_adds_its_own_authority(world, login, db):
    response = add(login("partial.admin"), world.plain, world.partial.id)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/authorities/{world.plain.id}/management")
    assert managers_of(db, world.plain) == {world.nimic.id, world.partial.id}
    (entry,) = entries(db, "access_manager.added")
    assert entry.authority_id == world.plain.id and entry.actor_user_id == world.partial_admin.id
    assert entry.changes == {"access_manager": [None, world.partial.official_name]}


def test_nimic_adds_another_access_manager_with_htmx(world, login, db):
    response = add(login("nimic.admin"), world.plain, world.partial.id, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'id="authority-tabs"' in html
    assert f'id="access-manager-{world.partial.id}"' in html
    assert managers_of(db, world.plain) == {world.nimic.id, world.partial.id}


@pytest.mark.parametrize(
    "candidate, message",
    [
        ("coordinator", "Only an active authority with the access-manager capability"),
        ("estonia", "same country"),
        ("nimic", "already an access manager"),
        ("missing", "Choose an authority."),
    ],
)
def test_adding_an_unfit_manager_is_refused(world, login, db, candidate, message):
    manager_id = 999999 if candidate == "missing" else getattr(world, candidate).id
    client = login("nimic.admin")
    response = add(client, world.plain, manager_id, htmx=True)
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#access-managers"
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'id="manager-error"' in html and message in html
    page = add(client, world.plain, manager_id)
    assert page.status_code == 422 and "<html" in page.get_data(as_text=True) and message in page.get_data(as_text=True)
    assert managers_of(db, world.plain) == {world.nimic.id}
    assert entries(db, "access_manager.added") == []


def test_remove_a_manager_but_never_the_last(world, login, db, factory):
    db.session.add(AccessManagerLink(managed=world.plain, manager=world.partial))
    factory.commit()
    client = login("nimic.admin")
    response = remove(client, world.plain, world.partial, htmx=True)
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
    assert managers_of(db, world.plain) == {world.nimic.id}
    (entry,) = entries(db, "access_manager.removed")
    assert entry.changes == {"access_manager": [world.partial.official_name, None]}
    assert entry.actor_user_id == world.nimic_admin.id

    last = remove(client, world.plain, world.nimic, htmx=True)
    assert last.status_code == 422 and last.headers["HX-Retarget"] == "#access-managers"
    assert "The last access manager of an authority cannot be removed." in last.get_data(as_text=True)
    page = remove(client, world.plain, world.nimic)
    assert page.status_code == 422 and "<html" in page.get_data(as_text=True)
    assert "The last access manager of an authority cannot be removed." in page.get_data(as_text=True)
    assert managers_of(db, world.plain) == {world.nimic.id}
    assert len(entries(db, "access_manager.removed")) == 1


def test_removing_without_htmx_redirects_to_the_tab(world, login, db, factory):
    db.session.add(AccessManagerLink(managed=world.plain, manager=world.partial))
    factory.commit()
    response = remove(login("partial.admin"), world.plain, world.nimic)
    assert response.status_code == 303
    assert managers_of(db, world.plain) == {world.partial.id}


def test_removing_an_authority_that_is_not_a_manager_is_refused(world, login, db):
    response = remove(login("nimic.admin"), world.plain, world.partial, htmx=True)
    assert response.status_code == 422
    assert managers_of(db, world.plain) == {world.nimic.id}


@pytest.mark.parametrize("username", ["ee.admin", "nimic.user", "plain.admin"])
def test_outsiders_may_not_change_managers(world, login, db, username):
    client = login(username)
    refused = 403 if username == "plain.admin" else 404  # its own admin sees it; the others do not
    assert add(client, world.plain, world.partial.id, htmx=True).status_code == refused
    assert add(client, world.plain, world.partial.id).status_code == refused
    assert remove(client, world.plain, world.nimic, htmx=True).status_code == refused
    assert managers_of(db, world.plain) == {world.nimic.id}
    assert entries(db, "access_manager.added") == []


def test_own_admin_sees_managers_without_forms(world, login):
    html = login("plain.admin").get(f"/authorities/{world.plain.id}/management").get_data(as_text=True)
    assert world.nimic.official_name in html
    assert 'id="access-manager-form"' not in html and "/remove" not in html
    assert "/management/delegation" not in html


def test_unknown_authority_or_manager_is_404(world, login):
    client = login("nimic.admin")
    assert client.post("/authorities/999999/management/managers", {"manager": world.partial.id}).status_code == 404
    assert client.post(f"/authorities/{world.plain.id}/management/managers/999999/remove").status_code == 404
    assert client.get("/authorities/999999/management/delegation").status_code == 404


# --- delegation by the NIMIC (R-1.2) --------------------------------------------------------


def test_delegation_form_as_page_and_fragment(world, login):
    client = login("nimic.admin")
    url = f"/authorities/{world.partial.id}/management/delegation"
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<html" in html and 'id="delegation"' in html and "<legend>Access-manager capability</legend>" in html
    fragment = client.get(url, htmx=True)
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in html
    assert "data-focus" in html
    assert re.search(r'<input checked id="scope-\d" name="scope" type="radio" value="partial">', html)
    assert re.search(rf'<input checked id="modules-\d" name="modules" type="checkbox" value="{world.pq.id}">', html)
    assert len(re.findall(r"<input checked", html)) == 2
    tab = client.get(f"/authorities/{world.partial.id}/management").get_data(as_text=True)
    assert "Chosen modules only" in tab and "PQ — Module PQ" in tab and "Change the delegation" not in tab
    tab = start_editing(client, world.partial).get(f"/authorities/{world.partial.id}/management").get_data(as_text=True)
    assert "Change the delegation" in tab


def test_delegation_full_partial_none_each_recorded(world, login, db):
    client = login("nimic.admin")
    authority = world.plain
    assert delegate(client, authority, "full", htmx=True).status_code == 200
    assert delegate(client, authority, "partial", [world.svc, world.pq]).status_code == 303
    response = delegate(client, authority, "none", htmx=True)
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
    db.session.expire_all()
    plain = db.session.get(Authority, authority.id)
    assert plain.access_manager_scope is None and plain.delegated_modules == []
    changes = [entry.changes for entry in entries(db, "access_manager.delegation_changed")]
    assert changes == [
        {"delegation": [None, "full"], "delegated_modules": [[], []]},
        {"delegation": ["full", "partial"], "delegated_modules": [[], ["PQ", "SVC"]]},
        {"delegation": ["partial", None], "delegated_modules": [["PQ", "SVC"], []]},
    ]
    assert all(e.actor_user_id == world.nimic_admin.id for e in entries(db, "access_manager.delegation_changed"))


def test_partial_without_modules_is_refused_beside_the_field(world, login, db):
    client = login("nimic.admin")
    response = delegate(client, world.plain, "partial", htmx=True)
    assert response.status_code == 422 and response.headers["HX-Retarget"] == "#delegation"
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'id="modules-error"' in html and "Choose at least one module" in html
    page = delegate(client, world.plain, "partial")
    assert page.status_code == 422 and "<html" in page.get_data(as_text=True)
    assert 'id="modules-error"' in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Authority, world.plain.id).access_manager_scope is None
    assert entries(db, "access_manager.delegation_changed") == []


def test_missing_scope_is_refused(world, login):
    response = delegate(login("nimic.admin"), world.plain, "", htmx=True)
    assert response.status_code == 422 and 'id="scope-error"' in response.get_data(as_text=True)


def test_withdrawal_applies_at_the_delegate_next_request(world, login):
    delegate_client = login("partial.admin")
    assert delegate_client.get("/authorities/new").status_code == 200
    assert delegate_client.get(f"/authorities/{world.plain.id}/management").status_code == 200
    assert delegate(login("nimic.admin"), world.partial, "none").status_code == 303
    assert delegate_client.get("/authorities/new").status_code == 403
    assert delegate_client.get(f"/authorities/{world.plain.id}/management").status_code == 404
    assert add(delegate_client, world.plain, world.partial.id).status_code == 404


def test_widening_applies_at_the_delegate_next_request(world, login):
    delegate_client = login("partial.admin")
    grant_svc = f"/authorities/{world.plain.id}/modules/new?module={world.svc.id}"
    assert delegate_client.get(grant_svc, htmx=True).status_code == 403
    assert delegate(login("nimic.admin"), world.partial, "full").status_code == 303
    assert delegate_client.get(grant_svc, htmx=True).status_code == 200


@pytest.mark.parametrize("username", ["partial.admin", "plain.admin", "nimic.user", "ee.admin"])
def test_only_the_nimic_admins_may_delegate(world, login, db, username):
    client = login(username)
    url = f"/authorities/{world.plain.id}/management/delegation"
    refused = 404 if username in ("nimic.user", "ee.admin") else 403  # 404: they do not see it
    assert client.get(url).status_code == refused
    assert client.get(url, htmx=True).status_code == refused
    assert delegate(client, world.plain, "full").status_code == refused
    assert delegate(client, world.plain, "full", htmx=True).status_code == refused
    db.session.expire_all()
    assert db.session.get(Authority, world.plain.id).access_manager_scope is None
    assert entries(db, "access_manager.delegation_changed") == []


def test_nimic_cannot_delegate_to_itself_or_abroad(world, login, db):
    client = login("nimic.admin")
    assert delegate(client, world.nimic, "none").status_code == 403
    assert delegate(client, world.estonia, "none").status_code == 404  # another country: not there
    db.session.expire_all()
    assert db.session.get(Authority, world.nimic.id).is_access_manager
    assert db.session.get(Authority, world.estonia.id).access_manager_scope == DelegationScope.FULL
    html = client.get(f"/authorities/{world.nimic.id}/management").get_data(as_text=True)
    assert "/management/delegation" not in html


def test_set_delegation_refuses_bad_input(world, db):
    from imi_web.authorities.management import set_delegation
    from imi_web.refusals import Refused

    with pytest.raises(Refused) as refused:
        set_delegation(world.nimic_admin, world.plain, DelegationScope.PARTIAL, [])
    assert "modules" in refused.value.errors
    with pytest.raises(Refused) as refused:
        set_delegation(world.nimic_admin, world.nimic, None, [])
    assert "scope" in refused.value.errors
    with pytest.raises(Refused) as refused:
        set_delegation(world.nimic_admin, world.estonia, None, [])
    assert "scope" in refused.value.errors


def test_history_is_paged_newest_first(world, login, db):
    """R-3.5: the whole history is reachable, a page at a time; htmx swaps the section only."""
    from imi_web.authorities.management import HISTORY_PER_PAGE

    for i in range(HISTORY_PER_PAGE + 3):
        db.session.add(HistoryEntry(authority_id=world.plain.id, authority_name=world.plain.official_name,
                                    action="authority.changed", actor_name=f"Actor {i:02d}", changes={"city": [str(i), str(i + 1)]}))
    db.session.commit()
    client = login("nimic.admin")
    tab = client.get(f"/authorities/{world.plain.id}/management").get_data(as_text=True)
    assert tab.count("Actor ") == HISTORY_PER_PAGE and "Older changes" in tab and "Newer changes" not in tab
    assert f"Actor {HISTORY_PER_PAGE + 2:02d}" in tab and "Actor 00" not in tab  # newest first
    older = client.get(f"/authorities/{world.plain.id}/management/history?history_page=2", htmx=True)
    html = older.get_data(as_text=True)
    assert older.status_code == 200 and html.startswith('<section id="history"') and "<html" not in html
    assert "Actor 00" in html and "Newer changes" in html and "Older changes" not in html
    assert f'data-hx-push-url="/authorities/{world.plain.id}/management?history_page=1"' in html
    page2 = client.get(f"/authorities/{world.plain.id}/management?history_page=2").get_data(as_text=True)
    assert "Actor 00" in page2 and "<html" in page2
    plain = client.get(f"/authorities/{world.plain.id}/management/history?history_page=2")
    assert plain.status_code == 303 and plain.headers["Location"].endswith("/management?history_page=2")


@pytest.mark.parametrize("username", ["ee.admin", "nimic.user"])
def test_history_partial_is_refused_to_outsiders(world, login, username):
    client = login(username)
    assert client.get(f"/authorities/{world.plain.id}/management/history", htmx=True).status_code == 404
    assert client.get(f"/authorities/{world.plain.id}/management/history").status_code == 404


def test_the_history_names_codes_in_the_readers_language(world, login, db):
    """Issue 18: classification entries, user rights, languages and modules by their names in
    the reader's language, not the codes the history stores."""
    from imi_web import history

    history.record("module_access.granted", actor=world.nimic_admin, authority=world.plain, subject_label="PQ",
                   changes={"classification": [None, ["DOC", "ARCH"]]})
    history.record("user.rights_changed", actor=world.nimic_admin, authority=world.plain,
                   changes={"rights": [[], ["SVC:SEND"]], "language": ["lv", "en"]})
    entry = history.record("authority.updated", actor=world.nimic_admin, authority=world.plain,
                           changes={"classification": [["HEALTH"], ["HEALTH", "BUILD"]]})
    entry.subject_type = "module_access"
    db.session.commit()
    client = login("nimic.admin")
    client.post("/language", {"language": "lv"})
    html = client.get(f"/authorities/{world.plain.id}/management").get_data(as_text=True)
    assert "Ārsti, Arhitekti" in html and "Tiesības SEND" in html and "Modulis SVC: Tiesības SEND" in html
    assert "latviešu → angļu" in html and "Veselība → Veselība, Būvniecība" in html
    assert "SVC:SEND" not in html and "DOC, ARCH" not in html
    client.post("/language", {"language": "en"})
    html = client.get(f"/authorities/{world.plain.id}/management").get_data(as_text=True)
    assert "Doctors, Architects" in html and "Module SVC: Right SEND" in html and "Latvian → English" in html
