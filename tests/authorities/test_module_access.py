"""Module access (R-2.1.4, R-2.1.5, R-3.3, R-3.4, R-1.2): grant, inline edit, suspend, restore."""

import pytest
import sqlalchemy as sa

from imi_web.models import AccessStatus, HistoryEntry, ModuleAccess, ModuleRole
from tests.authorities.conftest import start_editing
from tests.conftest import BACKENDS

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


def access_of(db, authority, module):
    db.session.expire_all()
    return db.session.scalar(
        sa.select(ModuleAccess).where(ModuleAccess.authority_id == authority.id, ModuleAccess.module_id == module.id)
    )


def grant(client, authority, module, htmx=False, **data):
    data.setdefault("role", "authority")
    return client.post(f"/authorities/{authority.id}/modules", {"module": module.id, **data}, htmx=htmx)


def test_grant_as_coordinator_gives_admins_all_rights(world, login, db):
    client = login("nimic.admin")
    form = client.get(f"/authorities/{world.plain.id}/modules/new?module={world.svc.id}", htmx=True)
    assert form.status_code == 200 and "<html" not in form.get_data(as_text=True)
    assert 'name="role"' in form.get_data(as_text=True)
    response = grant(client, world.plain, world.svc, role="coordinator")
    assert response.status_code == 303
    access = access_of(db, world.plain, world.svc)
    assert access.role == ModuleRole.COORDINATOR and access.is_active
    assert access.approval_required is None  # not an information-request module
    db.session.refresh(world.plain_admin)
    assert {r.code for r in world.plain_admin.module_rights} == {"SEND", "REPLY"}
    entry = db.session.scalar(sa.select(HistoryEntry).where(HistoryEntry.action == "module_access.granted"))
    assert entry.actor_user_id == world.nimic_admin.id
    assert entry.changes["role"] == [None, "coordinator"]
    assert entry.changes["all_rights_given_to"] == [None, [world.plain_admin.full_name]]


def test_a_coordinator_is_granted_without_a_linked_coordinator(world, login, db):
    """In a module that needs a linked coordinator for the role "authority", a coordinator needs
    none, and one given is not kept (R-2.1.4). Found by mutation testing (docs/mutation.md)."""
    client = login("nimic.admin")
    response = grant(client, world.plain, world.pq, role="coordinator", linked_coordinator=world.coordinator.id)
    assert response.status_code == 303
    access = access_of(db, world.plain, world.pq)
    assert access.role == ModuleRole.COORDINATOR and access.linked_coordinator_id is None


def test_grant_as_authority_with_linked_coordinator_and_settings(world, login, db):
    client = login("nimic.admin")
    doctors = world.pq.classification_list.entries[0]
    response = grant(
        client, world.plain, world.pq, htmx=True,
        role="authority", linked_coordinator=world.coordinator.id, classification=[doctors.id],
        approval_required="y", may_refuse_requests="y",
    )
    assert response.status_code == 200
    assert 'id="authority-tabs"' in response.get_data(as_text=True)
    assert response.headers["HX-Trigger"] == "moduleAccessChanged"
    access = access_of(db, world.plain, world.pq)
    assert access.linked_coordinator_id == world.coordinator.id
    assert [e.code for e in access.classification_entries] == ["DOC"]
    assert (access.approval_required, access.allocation_by_coordinator, access.may_refuse_requests) == (True, False, True)
    # The history holds the terms as granted. Found by mutation testing.
    entry = db.session.scalar(sa.select(HistoryEntry).where(HistoryEntry.action == "module_access.granted"))
    assert entry.changes["linked_coordinator"] == [None, "Veselības inspekcija"] and entry.changes["status"] == [None, "active"]


# "of_another_module" and "in_the_role_authority" were found by mutation testing (docs/mutation.md).
@pytest.mark.parametrize(
    "coordinator", ["none", "other_country", "not_a_coordinator", "suspended", "of_another_module", "in_the_role_authority"]
)
def test_linked_coordinator_must_be_an_active_coordinator_of_the_country(world, login, db, factory, coordinator):
    candidates = {
        "none": 0,
        "other_country": factory.authority(name="Lietuvos koordinatorius", country="LT").id,
        "not_a_coordinator": world.partial.id,
        "suspended": world.coordinator.id,
        "of_another_module": world.partial.id,
        "in_the_role_authority": world.partial.id,
    }
    if coordinator == "other_country":
        lt = db.session.get(type(world.plain), candidates["other_country"])
        db.session.add(ModuleAccess(authority=lt, module=world.pq, role=ModuleRole.COORDINATOR))
    if coordinator == "of_another_module":
        db.session.add(ModuleAccess(authority=world.partial, module=world.svc, role=ModuleRole.COORDINATOR))
    if coordinator == "in_the_role_authority":
        db.session.add(
            ModuleAccess(authority=world.partial, module=world.pq, role=ModuleRole.AUTHORITY, linked_coordinator=world.coordinator)
        )
    if coordinator == "suspended":
        access_of(db, world.coordinator, world.pq).status = AccessStatus.SUSPENDED
    factory.commit()
    client = login("nimic.admin")
    response = grant(client, world.plain, world.pq, htmx=True, linked_coordinator=candidates[coordinator])
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#grant-form"
    html = response.get_data(as_text=True)
    assert 'id="linked_coordinator-error"' in html
    assert access_of(db, world.plain, world.pq) is None


def test_inline_edit_returns_form_then_row(world, login, db):
    client = login("nimic.admin")
    grant(client, world.plain, world.pq, linked_coordinator=world.coordinator.id)
    access = access_of(db, world.plain, world.pq)
    url = f"/authorities/{world.plain.id}/modules/{access.id}/edit"
    form = client.get(url, htmx=True)
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert "<html" not in html and f'id="module-access-{access.id}"' in html and "<form" in html
    architects = world.pq.classification_list.entries[1]
    saved = client.post(
        url,
        {"role": "authority", "linked_coordinator": world.coordinator.id, "classification": [architects.id], "may_refuse_requests": "y"},
        htmx=True,
    )
    assert saved.status_code == 200
    row = saved.get_data(as_text=True)
    assert "<form" not in row.split("actions")[0] and "Architects" in row
    assert saved.headers["HX-Trigger"] == "moduleAccessChanged"
    entry = db.session.scalar(sa.select(HistoryEntry).where(HistoryEntry.action == "module_access.updated"))
    assert entry.changes == {"classification": [[], ["ARCH"]], "may_refuse_requests": [False, True]}
    assert entry.actor_user_id == world.nimic_admin.id  # found by mutation testing
    # Bad input: 422, the form again with the message, nothing changed.
    bad = client.post(url, {"role": "authority", "linked_coordinator": 0}, htmx=True)
    assert bad.status_code == 422
    assert 'id="linked_coordinator-error"' in bad.get_data(as_text=True)
    assert access_of(db, world.plain, world.pq).linked_coordinator_id == world.coordinator.id
    # Without htmx: redirect after POST; the edit URL renders the whole page.
    assert client.get(url).get_data(as_text=True).startswith("<!doctype html>")
    plain_post = client.post(url, {"role": "authority", "linked_coordinator": world.coordinator.id})
    assert plain_post.status_code == 303


def test_a_coordinators_access_is_edited_without_a_linked_coordinator(world, login, db):
    """A coordinator has no linked coordinator, also in a module that needs one for the role
    "authority" (R-2.1.4). Found by mutation testing (docs/mutation.md)."""
    client = login("nimic.admin")
    access = access_of(db, world.coordinator, world.pq)
    doctors = world.pq.classification_list.entries[0]
    url = f"/authorities/{world.coordinator.id}/modules/{access.id}/edit"
    assert client.post(url, {"role": "coordinator", "classification": [doctors.id]}, htmx=True).status_code == 200
    assert [e.code for e in access_of(db, world.coordinator, world.pq).classification_entries] == ["DOC"]


def test_role_change_refused_while_active_allowed_after_suspension(world, login, db):
    client = start_editing(login("nimic.admin"), world.plain)
    grant(client, world.plain, world.svc, role="authority")
    access = access_of(db, world.plain, world.svc)
    url = f"/authorities/{world.plain.id}/modules/{access.id}"
    refused = client.post(url + "/edit", {"role": "coordinator"}, htmx=True)
    assert refused.status_code == 422
    assert "Suspend access to the module before you change" in refused.get_data(as_text=True)
    assert access_of(db, world.plain, world.svc).role == ModuleRole.AUTHORITY
    suspended = client.post(url + "/suspend", htmx=True)
    assert suspended.status_code == 200 and "Restore access" in suspended.get_data(as_text=True)
    assert access_of(db, world.plain, world.svc).status == AccessStatus.SUSPENDED
    changed = client.post(url + "/edit", {"role": "coordinator"}, htmx=True)
    assert changed.status_code == 200
    assert access_of(db, world.plain, world.svc).role == ModuleRole.COORDINATOR
    restored = client.post(url + "/restore")
    assert restored.status_code == 303
    assert access_of(db, world.plain, world.svc).status == AccessStatus.ACTIVE
    actions = [e.action for e in db.session.scalars(sa.select(HistoryEntry).order_by(HistoryEntry.id))]
    assert actions[-3:] == ["module_access.suspended", "module_access.updated", "module_access.restored"]


def test_restoring_needs_a_linked_coordinator_that_is_still_an_active_coordinator(world, login, db):
    """R-3.3 with R-2.1.4: suspended access in the role "authority" comes back only with a linked
    coordinator that is still an active coordinator of the module; a coordinator's own access
    needs none. Found by mutation testing (docs/mutation.md)."""
    client = login("nimic.admin")
    grant(client, world.plain, world.pq, linked_coordinator=world.coordinator.id)
    urls = {}
    for authority in (world.plain, world.coordinator):
        start_editing(client, authority)
        urls[authority.id] = f"/authorities/{authority.id}/modules/{access_of(db, authority, world.pq).id}/"
        assert client.post(urls[authority.id] + "suspend", htmx=True).status_code == 200
    refused = client.post(urls[world.plain.id] + "restore", htmx=True)
    assert refused.status_code == 422
    assert "Choose a linked coordinator that is an active coordinator of the module first." in refused.get_data(as_text=True)
    assert access_of(db, world.plain, world.pq).status == AccessStatus.SUSPENDED
    assert client.post(urls[world.coordinator.id] + "restore", htmx=True).status_code == 200
    assert client.post(urls[world.plain.id] + "restore", htmx=True).status_code == 200
    assert access_of(db, world.plain, world.pq).is_active
    entry = db.session.scalar(
        sa.select(HistoryEntry).where(HistoryEntry.action == "module_access.restored", HistoryEntry.authority_id == world.plain.id)
    )
    assert entry.actor_user_id == world.nimic_admin.id and entry.changes == {"status": ["suspended", "active"]}
    assert (entry.subject_type, entry.subject_label) == ("module_access", "PQ")  # the history names the module by it


def test_a_module_is_granted_once(world, login, db):
    client = login("nimic.admin")
    grant(client, world.plain, world.svc)
    again = grant(client, world.plain, world.svc)
    assert again.status_code == 403  # no longer offered
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ModuleAccess).where(ModuleAccess.module_id == world.svc.id)) == 1


def test_partial_delegate_only_within_its_modules(world, login, db):
    client = start_editing(login("partial.admin"), world.plain)
    tab = client.get(f"/authorities/{world.plain.id}/modules").get_data(as_text=True)
    assert f"module={world.pq.id}" in tab and f"module={world.svc.id}" not in tab
    assert grant(client, world.plain, world.svc).status_code == 403
    assert client.get(f"/authorities/{world.plain.id}/modules/new?module={world.svc.id}").status_code == 403
    assert access_of(db, world.plain, world.svc) is None
    assert grant(client, world.plain, world.pq, linked_coordinator=world.coordinator.id).status_code == 303
    # An access of a module outside the scope can be neither edited, suspended nor restored.
    nimic = login("nimic.admin")
    grant(nimic, world.plain, world.svc)
    svc_access = access_of(db, world.plain, world.svc)
    for suffix in ("/edit", "/suspend", "/restore"):
        assert client.post(f"/authorities/{world.plain.id}/modules/{svc_access.id}{suffix}", {"role": "authority"}).status_code == 403
    assert client.get(f"/authorities/{world.plain.id}/modules/{svc_access.id}/edit", htmx=True).status_code == 403
    assert access_of(db, world.plain, world.svc).is_active
