"""Administration → Access overview (issue 19): the matrix, its criteria, totals and permissions."""

import re

import pytest

from imi_web.models import AccessManagerLink, AccessStatus, AuthorityStatus, ModuleAccess, ModuleRole
from tests.conftest import BACKENDS

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


@pytest.fixture
def accesses(world, db, factory):
    """Managed authorities with accesses of each kind; one of another country."""
    made = {}
    for name, city in [("Rīgas būvvalde", "Rīga"), ("Jūrmalas būvvalde", "Jūrmala"), ("Ogres pašvaldība", "Ogre")]:
        authority = factory.authority(name=name, city=city)
        db.session.add(AccessManagerLink(managed=authority, manager=world.nimic))
        made[name] = authority
    db.session.add_all([
        ModuleAccess(authority=made["Rīgas būvvalde"], module=world.pq, role=ModuleRole.AUTHORITY, linked_coordinator=world.coordinator),
        ModuleAccess(authority=made["Rīgas būvvalde"], module=world.svc, role=ModuleRole.COORDINATOR),
        ModuleAccess(authority=made["Jūrmalas būvvalde"], module=world.svc, role=ModuleRole.AUTHORITY, status=AccessStatus.SUSPENDED),
        ModuleAccess(authority=world.estonia, module=world.svc, role=ModuleRole.COORDINATOR),
    ])
    factory.commit()
    return made


def row_names(response):
    return re.findall(r'<th scope="row"><a href="/authorities/\d+/authority">([^<]+)</a>', response.get_data(as_text=True))


def test_matrix_rows_cells_and_totals(world, accesses, login):
    client = login("nimic.admin")
    page = client.get("/access-overview/?mine=no")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert "Eesti asutus" not in html  # another country's authorities never appear
    assert set(row_names(page)) >= {"Rīgas būvvalde", "Jūrmalas būvvalde", "Ogres pašvaldība", "Veselības inspekcija"}
    riga = accesses["Rīgas būvvalde"]
    assert f'href="/authorities/{riga.id}/modules">coordinator' in html
    assert re.search(rf'<td class="access-suspended"><a href="/authorities/{accesses["Jūrmalas būvvalde"].id}/modules">authority.*?<strong>suspended</strong>', html)
    # Totals: SVC has one coordinator and one authority in LV; PQ one coordinator, one authority.
    footer = html[html.index("<tfoot>"):]
    cells = re.findall(r"<td>(.*?)</td>", footer)
    assert [re.sub(r"<br>", " ", c) for c in cells] == [
        "Coordinators: 0 Authorities: 0",  # ECOM
        "Coordinators: 1 Authorities: 1",  # PQ
        "Coordinators: 1 Authorities: 1",  # SVC
    ]


@pytest.mark.parametrize("query,expected", [
    ("role=coordinator", ["Rīgas būvvalde", "Veselības inspekcija"]),
    ("role=linked", ["Rīgas būvvalde"]),
    ("suspended=yes", ["Jūrmalas būvvalde"]),
    ("module=SVC", ["Jūrmalas būvvalde", "Rīgas būvvalde"]),
    ("module=SVC&role=authority", ["Jūrmalas būvvalde"]),
    ("module=PQ&suspended=yes", []),
    ("q=rigas&role=coordinator", ["Rīgas būvvalde"]),
    ("city=jurm", ["Jūrmalas būvvalde"]),
])
def test_criteria(world, accesses, login, query, expected):
    query = query.replace("SVC", str(world.svc.id)).replace("PQ", str(world.pq.id))
    client = login("nimic.admin")
    assert sorted(row_names(client.get(f"/access-overview/?mine=no&{query}", htmx=True))) == sorted(expected)


def test_only_my_authorities_by_default(world, accesses, login):
    names = row_names(login("nimic.admin").get("/access-overview/"))
    assert set(names) == {"Rīgas būvvalde", "Jūrmalas būvvalde", "Ogres pašvaldība", "Jelgavas būvvalde"}


def test_fragment_for_htmx_and_bookmarkable_url(world, accesses, login):
    client = login("nimic.admin")
    fragment = client.get("/access-overview/?mine=no&role=coordinator", htmx=True)
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and html.lstrip().startswith('<section id="search-results"')
    assert 'href="/access-overview/export.csv?role=coordinator&amp;mine=no"' in html or "export.csv?" in html


def test_partial_delegate_sees_only_its_modules(world, accesses, login):
    client = login("partial.admin")
    html = client.get("/access-overview/?mine=no").get_data(as_text=True)
    header = html[html.index("<thead>"):html.index("</thead>")]
    assert "PQ" in header and "SVC" not in header and "ECOM" not in header
    # Its role criterion looks only at PQ: the SVC coordinator is not found.
    assert row_names(client.get("/access-overview/?mine=no&role=coordinator", htmx=True)) == ["Veselības inspekcija"]


def test_paging(world, accesses, login, monkeypatch):
    from imi_web.access_overview import search

    monkeypatch.setattr(search.overview_page, "__defaults__", (2,))
    client = login("nimic.admin")
    first = client.get("/access-overview/?mine=no", htmx=True)
    assert len(row_names(first)) == 2 and 'rel="next"' in first.get_data(as_text=True)
    second = client.get("/access-overview/?mine=no&page=2", htmx=True)
    assert len(row_names(second)) == 2 and not set(row_names(first)) & set(row_names(second))


@pytest.mark.parametrize("username", ["nimic.user", "plain.admin"])
def test_refused_without_the_right(world, accesses, login, username, db):
    from imi_web.models import SecurityEvent

    client = login(username)
    assert client.get("/access-overview/").status_code == 403
    assert client.get("/access-overview/", htmx=True).status_code == 403
    assert db.session.query(SecurityEvent).filter_by(kind="access_refused", route="access_overview.index").count() == 2


def test_menu_entry(world, login):
    assert 'href="/access-overview/"' in login("nimic.admin").get("/").get_data(as_text=True)
    assert 'href="/access-overview/"' not in login("nimic.user").get("/").get_data(as_text=True)


@pytest.mark.parametrize("query", ["mine=no", "mine=no&q=valde", "mine=no&role=coordinator", "mine=yes&suspended=yes"])
def test_capped_totals_agree_with_the_grouped_ones(world, accesses, login, monkeypatch, query):
    """Many authorities found: the totals are capped counts per module and role; the same numbers."""
    from imi_web.access_overview import search

    client = login("nimic.admin")

    def footer():
        html = client.get(f"/access-overview/?{query}", htmx=True).get_data(as_text=True)
        return html[html.index("<tfoot>"):] if "<tfoot>" in html else ""

    grouped = footer()
    monkeypatch.setattr(search, "TOTALS_GROUP_LIMIT", 0)
    assert footer() == grouped
