"""Menu "Authorities" → "Search" (R-5.2, R-3.4): active authorities of all countries only."""

import re

import pytest
import sqlalchemy as sa

from imi_web import policy
from imi_web.models import AccessStatus, AuthorityStatus, ModuleAccess, ModuleRole
from tests.conftest import BACKENDS
from tests.fixtures.search import every_page

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


@pytest.fixture
def listed(world, db, factory):
    """Authorities in every status, of two countries, with active and suspended module access."""
    made = {}
    world.estonia.country.name_en, world.estonia.country.name_lv = "Estonia", "Igaunija"

    def add(name, country="LV", city="", status=AuthorityStatus.ACTIVE, **kw):
        made[name] = factory.authority(name=name, country=country, city=city, status=status, **kw)
        return made[name]

    def access(authority, module, role=ModuleRole.AUTHORITY, status=AccessStatus.ACTIVE):
        db.session.add(ModuleAccess(authority=authority, module=module, role=role, status=status))

    riga = add("Rīgas pilsētas būvvalde", city="Rīga", email="buvvalde@riga.lv.example", phone="+371 67000000")
    access(riga, world.svc)
    access(riga, world.pq, status=AccessStatus.SUSPENDED)  # no partner in PQ any more
    jurmala = add("Jūrmalas būvvalde", city="Jūrmala")
    access(jurmala, world.pq, role=ModuleRole.COORDINATOR)
    tallinn = add("Tallinna ehitusamet", country="EE", city="Tallinn", website="https://tallinn.ee.example")
    access(tallinn, world.svc, role=ModuleRole.COORDINATOR)
    liepaja = add("Liepājas būvvalde", city="Liepāja", status=AuthorityStatus.DEACTIVATED)
    access(liepaja, world.svc, status=AccessStatus.SUSPENDED)
    ventspils = add("Ventspils būvvalde", city="Ventspils", status=AuthorityStatus.AWAITING_VALIDATION)
    access(ventspils, world.svc)
    cesis = add("Cēsu būvvalde", city="Cēsis", status=AuthorityStatus.REJECTED)
    access(cesis, world.svc)
    factory.commit()
    return made


ROW = re.compile(r'<th scope="row"><a href="/directory/(\d+)[^"]*">([^<]+)</a>')
NEVER_LISTED = {"Liepājas būvvalde", "Ventspils būvvalde", "Cēsu būvvalde"}


def names(response):
    assert response.status_code == 200, response.status_code
    return sorted(name for _id, name in ROW.findall(response.get_data(as_text=True)))


def row_html(response, authority):
    html = response.get_data(as_text=True)
    match = re.search(rf'<tr id="authority-{authority.id}">(.*?)</tr>', html, re.S)
    assert match, f"{authority.official_name} is not listed"
    return match.group(1)


def test_every_user_finds_active_authorities_of_all_countries(world, listed, login):
    client = login("nimic.user")  # no administrator rights needed
    page = client.get("/directory/")
    html = page.get_data(as_text=True)
    assert "<html" in html and 'aria-current="page"' in html
    found = names(page)
    assert {"Rīgas pilsētas būvvalde", "Jūrmalas būvvalde", "Tallinna ehitusamet", "Eesti asutus"} <= set(found)
    assert not NEVER_LISTED & set(found)  # deactivated, awaiting validation, rejected: never


def test_deactivated_never_appears_whatever_the_criteria(world, listed, login):
    client = login("plain.admin")
    svc = world.svc.id
    for query in ("q=buvvalde", "q=liepajas", "city=liepaja", f"module={svc}", "role=authority", f"country={listed['Liepājas būvvalde'].country_id}", "q=ventspils", "q=cesu"):
        assert not NEVER_LISTED & set(names(client.get(f"/directory/?{query}"))), query


@pytest.mark.parametrize("query,expected", [
    ("q=buvvalde", ["Jelgavas būvvalde", "Jūrmalas būvvalde", "Rīgas pilsētas būvvalde"]),
    ("q=RIGAS", ["Rīgas pilsētas būvvalde"]),  # accents and case do not matter
    ("q=valde+pils", ["Rīgas pilsētas būvvalde"]),  # every word, anywhere in a word
    ("q=hitusam", ["Tallinna ehitusamet"]),  # the middle of a word
    ("country={ee}", ["Eesti asutus", "Tallinna ehitusamet"]),
    ("city=jurm", ["Jūrmalas būvvalde"]),
    ("city=R%C4%ABga", ["Rīgas pilsētas būvvalde"]),  # "Rīga": folded like the names
    ("city=r_ga", []),  # no wildcards in a city
    ("city=%25", []),
    ("module={svc}", ["Rīgas pilsētas būvvalde", "Tallinna ehitusamet"]),
    ("module={pq}", ["Jūrmalas būvvalde", "Veselības inspekcija"]),  # Rīga's PQ access is suspended
    ("role=coordinator", ["Jūrmalas būvvalde", "Tallinna ehitusamet", "Veselības inspekcija"]),
    ("module={svc}&role=coordinator", ["Tallinna ehitusamet"]),
    ("module={pq}&role=authority", []),
    ("q=valde&country={lv}&module={svc}&role=authority&city=riga", ["Rīgas pilsētas būvvalde"]),
    ("q=valde&country={ee}", []),
])
def test_criteria_each_and_combined(world, listed, login, query, expected):
    ids = {
        "svc": world.svc.id,
        "pq": world.pq.id,
        "ee": world.estonia.country_id,
        "lv": world.nimic.country_id,
    }
    assert names(login("nimic.user").get("/directory/?" + query.format(**ids))) == expected


def test_suspended_module_excludes_the_authority_for_that_module_only(world, listed, login):
    client = login("nimic.user")
    riga = listed["Rīgas pilsētas būvvalde"]
    assert "Rīgas pilsētas būvvalde" in names(client.get(f"/directory/?module={world.svc.id}"))
    assert "Rīgas pilsētas būvvalde" not in names(client.get(f"/directory/?module={world.pq.id}"))
    row = row_html(client.get("/directory/?q=rigas"), riga)
    assert "SVC" in row and "PQ" not in row  # the suspended module is not listed for it
    detail = client.get(f"/directory/{riga.id}").get_data(as_text=True)
    assert "SVC — Module SVC" in detail and "PQ" not in detail


def test_results_show_public_contact_data_and_modules_with_role(world, listed, login):
    client = login("nimic.user")
    row = row_html(client.get("/directory/?q=rigas"), listed["Rīgas pilsētas būvvalde"])
    assert "mailto:buvvalde@riga.lv.example" in row and "+371 67000000" in row and "Latvia" in row and "Rīga" in row
    assert "authority" in row
    tallinn = row_html(client.get("/directory/?q=tallinna"), listed["Tallinna ehitusamet"])
    assert "coordinator" in tallinn and "Tallinn" in tallinn and "Estonia" in tallinn


def test_countries_and_modules_are_named_in_the_readers_language(world, listed, login):
    client = login("nimic.user")
    tallinn = listed["Tallinna ehitusamet"]
    for language, country, module in (("lv", "Igaunija", "Modulis SVC"), ("en", "Estonia", "Module SVC")):
        client.post("/language", {"language": language, "next": "/"})
        row = row_html(client.get("/directory/?q=tallinna", htmx=True), tallinn)
        assert f"<td>{country}<br>Tallinn</td>" in row and f'<abbr title="{module}">SVC</abbr>' in row
        detail = client.get(f"/directory/{tallinn.id}").get_data(as_text=True)
        assert f"SVC — {module}" in detail


def test_detail_is_read_only_and_only_for_listed_authorities(world, listed, login):
    client = login("plain.admin")
    tallinn = listed["Tallinna ehitusamet"]
    page = client.get(f"/directory/{tallinn.id}?q=tall")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert "https://tallinn.ee.example" in html and "coordinator" in html
    assert 'href="/directory/?q=tall"' in html  # back to the same search
    assert "<form" not in html.split('id="directory-entry"')[1]  # nothing to change here
    fragment = client.get(f"/directory/{tallinn.id}", htmx=True)
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    for name in NEVER_LISTED:
        assert client.get(f"/directory/{listed[name].id}").status_code == 404
        assert client.get(f"/directory/{listed[name].id}", htmx=True).status_code == 404
    assert client.get("/directory/999999").status_code == 404


def test_fragment_paging_sorting_and_url(world, listed, login, monkeypatch):
    from imi_web.directory import search

    monkeypatch.setattr(search.search_directory, "__defaults__", (2,))
    client = login("nimic.user")
    fragment = client.get("/directory/?q=buvvalde", htmx=True)
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in html and "HX-Request" in fragment.headers["Vary"]
    assert "3 authorities found" in html and "Page 1 of 2" in html
    assert 'href="/directory/?q=buvvalde&amp;page=2"' in html and 'data-hx-push-url="true"' in html
    assert names(client.get("/directory/?q=buvvalde&page=2")) == ["Rīgas pilsētas būvvalde"]
    assert names(client.get("/directory/?q=buvvalde&sort=-name")) == ["Jūrmalas būvvalde", "Rīgas pilsētas būvvalde"]
    assert names(client.get("/directory/?q=buvvalde&page=99")) == ["Rīgas pilsētas būvvalde"]  # the last page


def test_capped_count_and_count_them_all(world, listed, login, monkeypatch):
    from imi_web import authority_search as shared
    from imi_web.directory import search

    monkeypatch.setattr(shared, "COUNT_CAP", 2)
    monkeypatch.setattr(search.search_directory, "__defaults__", (2,))
    client = login("nimic.user")
    html = client.get("/directory/?q=buvvalde", htmx=True).get_data(as_text=True)
    assert "More than 2 authorities found" in html and "Page 1 of" not in html
    assert 'href="/directory/?q=buvvalde&amp;count=all"' in html
    counted = client.get("/directory/?q=buvvalde&count=all", htmx=True).get_data(as_text=True)
    assert "3 authorities found" in counted and "Page 1 of 2" in counted and "Count them all" not in counted
    assert 'href="/directory/?q=buvvalde&amp;count=all&amp;page=2"' in counted


@pytest.mark.parametrize("query", ["module={svc}", "module={svc}&sort=-name", "role=coordinator", "module={pq}&sort=-name"])
def test_both_plans_of_a_module_criterion_give_the_same_pages(world, listed, login, monkeypatch, query):
    """Few matching accesses: the page comes from them, sorted; many: from the name index.
    With the count capped (so the page cannot come from the count) both give the same rows."""
    from imi_web import authority_search as shared
    from imi_web.directory import search

    query = query.format(svc=world.svc.id, pq=world.pq.id)
    client = login("nimic.user")
    monkeypatch.setattr(shared, "COUNT_CAP", 1)
    monkeypatch.setattr(search.search_directory, "__defaults__", (2,))

    def pages():  # page by page
        return every_page(client, f"/directory/?{query}", lambda response: [names(response)])

    sorted_from_accesses = pages()
    monkeypatch.setattr(search, "ACCESS_SORT_LIMIT", 0)
    assert pages() == sorted_from_accesses and sum(map(len, sorted_from_accesses)) >= 2


@pytest.mark.parametrize("sort", ["name", "-name"])
def test_a_modules_partners_in_a_role_come_in_name_order(world, listed, login, monkeypatch, db, factory, sort):
    """Module and role given: the page walks their accesses in the authorities' name order (the
    name copied to ``module_access``, kept in step on renames); same rows, same order as sorting."""
    from imi_web import authority_search as shared
    from imi_web.directory import search
    from imi_web.models import Authority

    for name in ("Ādažu būvvalde", "Zilupes būvvalde", "Alūksnes būvvalde", "Bauskas būvvalde"):
        db.session.add(ModuleAccess(authority=factory.authority(name=name), module=world.pq, role=ModuleRole.COORDINATOR))
    db.session.add(ModuleAccess(authority=factory.authority(name="Balvu būvvalde", status=AuthorityStatus.DEACTIVATED),
                                module=world.pq, role=ModuleRole.COORDINATOR))
    factory.commit()
    renamed = listed["Jūrmalas būvvalde"]
    renamed.official_name = "Alojas būvvalde"  # from J… to A…: its access moves in the order
    factory.commit()
    copies = db.session.execute(sa.select(ModuleAccess.authority_name, Authority.search_name).join(ModuleAccess.authority)).all()
    assert copies and all(copy == name for copy, name in copies)
    expected = db.session.scalars(
        sa.select(Authority.official_name).join(ModuleAccess, ModuleAccess.authority_id == Authority.id)
        .where(ModuleAccess.module_id == world.pq.id, ModuleAccess.role == ModuleRole.COORDINATOR,
               ModuleAccess.status == AccessStatus.ACTIVE, Authority.status == AuthorityStatus.ACTIVE)
        .order_by(*((Authority.search_name.desc(), Authority.id.desc()) if sort == "-name" else (Authority.search_name, Authority.id)))
    ).all()
    assert len(expected) >= 5 and "Balvu būvvalde" not in expected
    client = login("nimic.user")
    monkeypatch.setattr(shared, "COUNT_CAP", 1)
    monkeypatch.setattr(search.search_directory, "__defaults__", (2,))
    in_order = lambda response: [name for _id, name in ROW.findall(response.get_data(as_text=True))]  # noqa: E731
    assert every_page(client, f"/directory/?module={world.pq.id}&role=coordinator&sort={sort}", in_order) == expected


def test_queries_do_not_grow_with_results(world, listed, login, db, factory, query_count):
    client = login("nimic.user")

    def count(url, htmx=False):
        with query_count.statements() as statements:
            assert client.get(url, htmx=htmx).status_code == 200
        return len(statements)

    urls = ["/directory/", "/directory/?q=valde", f"/directory/?module={world.svc.id}&role=authority"]
    before = [count(url) for url in urls] + [count(url, htmx=True) for url in urls]
    for i in range(30):
        authority = factory.authority(name=f"Papildu būvvalde {i}", city="Rīga")
        for module in (world.svc, world.pq, world.ecom):
            db.session.add(ModuleAccess(authority=authority, module=module, role=ModuleRole.AUTHORITY))
    factory.commit()
    after = [count(url) for url in urls] + [count(url, htmx=True) for url in urls]
    assert after == before
    assert "Papildu būvvalde" in client.get("/directory/?q=papildu").get_data(as_text=True)


def test_anonymous_is_sent_to_login_with_nothing_shown(world, listed, app):
    from tests.conftest import Client

    client = Client(app.test_client())
    tallinn = listed["Tallinna ehitusamet"]
    for url in ("/directory/", "/directory/?q=tall", f"/directory/{tallinn.id}"):
        for htmx in (False, True):
            response = client.get(url, htmx=htmx)
            assert response.status_code in (302, 303, 204), (url, htmx, response.status_code)
            assert "/login" in (response.headers.get("Location") or response.headers.get("HX-Redirect", ""))
            assert "Tallinna" not in response.get_data(as_text=True)


def test_policy_refuses_users_of_inactive_authorities_and_unlisted_entries(world, listed, db):
    assert policy.may_search_directory(world.plain_admin)
    assert policy.may_see_in_directory(world.plain_admin, listed["Tallinna ehitusamet"])
    for name in NEVER_LISTED:
        assert not policy.may_see_in_directory(world.plain_admin, listed[name])
    world.plain.status = AuthorityStatus.DEACTIVATED
    db.session.flush()
    assert not policy.may_search_directory(world.plain_admin)
    assert not policy.may_see_in_directory(world.plain_admin, listed["Tallinna ehitusamet"])


def test_search_index_follows_renames_and_deactivation(world, listed, login, db):
    client = login("nimic.user")
    jurmala = listed["Jūrmalas būvvalde"]
    jurmala.official_name = "Jūrmalas valstspilsētas būvvalde"
    db.session.commit()
    assert names(client.get("/directory/?q=valstspils")) == ["Jūrmalas valstspilsētas būvvalde"]
    jurmala.status = AuthorityStatus.DEACTIVATED
    db.session.commit()
    assert names(client.get("/directory/?q=valstspils")) == []
    assert client.get(f"/directory/{jurmala.id}").status_code == 404
