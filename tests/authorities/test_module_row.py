"""One shape for a module row (issue 17): the row an inline edit puts back is read on its own,
and is the row the tab shows for that access."""

import pytest

from imi_web.authorities import module_tab
from imi_web.models import ModuleAccess, ModuleRole
from tests.authorities.conftest import start_editing
from tests.conftest import BACKENDS

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


def one(authority, access_id):
    accesses, without = module_tab._read(module_tab._ONE_ACCESS, {"authority_id": authority.id, "access_id": access_id})
    assert without == []
    return accesses


def test_a_row_read_on_its_own_is_the_tabs_row(world, db):
    architects = world.pq.classification_list.entries[1]
    pq = ModuleAccess(authority=world.plain, module=world.pq, role=ModuleRole.AUTHORITY, linked_coordinator=world.coordinator)
    db.session.add(pq)
    pq.classification_entries = [architects]
    db.session.add(ModuleAccess(authority=world.plain, module=world.svc, role=ModuleRole.AUTHORITY))
    db.session.commit()
    accesses, _ = module_tab.module_rows(world.plain.id)
    assert len(accesses) == 2
    for row in accesses:
        assert one(world.plain, row.id) == [row]
    assert one(world.plain, accesses[0].id)[0].linked_coordinator_name == "Veselības inspekcija"
    assert [entry.name_en for entry in one(world.plain, pq.id)[0].classification_entries] == ["Architects"]
    # Another authority's access is not this authority's row.
    assert one(world.partial, pq.id) == []


def test_the_row_after_a_change_is_that_row_alone(world, login, db):
    client = start_editing(login("nimic.admin"), world.plain)
    for module in (world.svc, world.ecom):
        db.session.add(ModuleAccess(authority=world.plain, module=module, role=ModuleRole.AUTHORITY))
    db.session.commit()
    svc = db.session.query(ModuleAccess).filter_by(authority_id=world.plain.id, module_id=world.svc.id).one()
    response = client.post(f"/authorities/{world.plain.id}/modules/{svc.id}/suspend", htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count('class="module-row') == 1 and f'id="module-access-{svc.id}"' in html
    assert "Restore access" in html  # the row's actions: the user may manage it, in edit mode
