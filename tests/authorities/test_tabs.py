"""The details tabs (R-3.1): each a URL of its own, full page or htmx fragment."""

import re

import pytest

from imi_web.models import AccessStatus, ModuleAccess, ModuleRole
from tests.conftest import BACKENDS

pytestmark = pytest.mark.parametrize("backend", BACKENDS)

TABS = ["authority", "classification", "modules", "users", "management"]


@pytest.mark.parametrize("tab", TABS)
def test_each_tab_is_a_full_page_and_a_fragment(world, login, tab):
    client = login("nimic.admin")
    url = f"/authorities/{world.plain.id}/{tab}"
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<html" in html and world.plain.official_name in html
    assert f'id="tab-{tab}" href="{url}"' in html
    assert f'aria-controls="tab-panel" aria-selected="true">' in html.split(f'id="tab-{tab}"')[1].split("</a>")[0] + ">"
    fragment = client.get(url, htmx=True)
    assert fragment.status_code == 200
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and 'id="authority-tabs"' in body and 'role="tabpanel"' in body
    assert "HX-Request" in fragment.headers["Vary"]


def test_tab_contents_are_real_data(world, login, db, factory):
    db.session.add(ModuleAccess(authority=world.plain, module=world.svc, role=ModuleRole.AUTHORITY))
    world.plain.classification_entries.append(world.general.entries[0])
    factory.commit()
    client = login("nimic.admin")
    base = f"/authorities/{world.plain.id}"
    assert "Health" in client.get(base + "/classification").get_data(as_text=True)
    assert "Module SVC" in client.get(base + "/modules").get_data(as_text=True)
    users = client.get(base + "/users").get_data(as_text=True)
    assert "plain.admin" in users and "valid" in users
    management = client.get(base + "/management").get_data(as_text=True)
    assert world.nimic.official_name in management  # its access manager
    assert world.plain_admin.full_name in management  # an administrator


def test_modules_tab_shows_each_access_as_stored(world, login, db, factory):
    """Tab Modules reads plain rows (``module_tab``), not the ORM objects: each row shows what
    is stored — the entries in the list's order, the linked coordinator, the settings."""
    doctors, architects = world.pq.classification_list.entries
    db.session.add_all([
        ModuleAccess(
            authority=world.plain, module=world.pq, role=ModuleRole.AUTHORITY, linked_coordinator=world.coordinator,
            classification_entries=[architects, doctors], approval_required=True, may_refuse_requests=False,
            allocation_by_coordinator=True,
        ),
        ModuleAccess(authority=world.plain, module=world.svc, role=ModuleRole.COORDINATOR, status=AccessStatus.SUSPENDED),
    ])
    factory.commit()
    client = login("nimic.admin")
    html = client.get(f"/authorities/{world.plain.id}/modules", htmx=True).get_data(as_text=True)
    pq_row, svc_row = html.split('class="module-row ')[1:3]
    assert pq_row.startswith("state-active") and "PQ — Module PQ" in pq_row
    assert "<dd>Doctors, Architects</dd>" in pq_row  # the list's order, not the order chosen
    assert f"<dd>{world.coordinator.official_name}</dd>" in pq_row
    facts = re.findall(r"<dt>([^<]+)</dt><dd>([^<]*)</dd>", pq_row)
    assert facts[-4:-1] == [
        ("Requests need approval before they are sent", "Yes"),
        ("Incoming requests are allocated by the coordinator", "Yes"),
        ("May refuse requests", "No"),
    ]
    assert svc_row.startswith("state-suspended") and "SVC — Module SVC" in svc_row
    assert "Module classification" not in svc_row and "Linked coordinator" not in svc_row  # a coordinator


def test_detail_redirects_to_the_first_tab_and_unknown_tabs_are_404(world, login):
    client = login("nimic.admin")
    assert client.get(f"/authorities/{world.plain.id}").headers["Location"] == f"/authorities/{world.plain.id}/authority"
    assert client.get(f"/authorities/{world.plain.id}/secrets").status_code == 404
    assert client.get("/authorities/999999/authority").status_code == 404


@pytest.mark.parametrize("tab", ["modules", "users", "management"])
def test_queries_per_tab_do_not_grow_with_its_rows(world, login, db, factory, tab, query_count):
    from imi_web.users.operations import grant_all_module_rights

    client = login("nimic.admin")
    url = f"/authorities/{world.plain.id}/{tab}"

    def count_queries():
        with query_count.statements() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    def add_rows(n, start):
        for i in range(start, start + n):
            module = factory.module(f"M{i}")
            db.session.add(ModuleAccess(authority=world.plain, module=module, role=ModuleRole.AUTHORITY))
            user = factory.user(world.plain, username=f"extra{i}")
            grant_all_module_rights(user, module)
        factory.commit()

    add_rows(2, 0)
    few = count_queries()
    add_rows(8, 2)
    many = count_queries()
    assert many == few, (few, many)

