"""Managed authorities search (R-3.0, R-4.2): criteria, "Only my authorities", paging, queries."""

import pytest

from imi_web.models import AccessManagerLink, AuthorityStatus, ModuleAccess, ModuleRole
from tests.conftest import BACKENDS
from tests.fixtures.search import assert_name_postings_match, every_page

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


@pytest.fixture
def many(world, db, factory):
    """Authorities managed by the NIMIC, with diacritics, cities, modules and statuses."""
    names = [
        ("Rīgas pilsētas būvvalde", "Rīga"), ("Jūrmalas būvvalde", "Jūrmala"), ("Valsts ieņēmumu dienests", "Rīga"),
        ("Liepājas būvvalde", "Liepāja"), ("Ogres novada pašvaldība", "Ogre"),
    ]
    made = {}
    for name, city in names:
        authority = factory.authority(name=name, city=city)
        db.session.add(AccessManagerLink(managed=authority, manager=world.nimic))
        made[name] = authority
    made["Liepājas būvvalde"].status = AuthorityStatus.DEACTIVATED
    db.session.add(ModuleAccess(authority=made["Jūrmalas būvvalde"], module=world.svc, role=ModuleRole.AUTHORITY))
    made["Rīgas pilsētas būvvalde"].classification_entries.append(world.general.entries[1])
    factory.authority(name="Daugavpils būvvalde (not managed)", city="Daugavpils")
    factory.authority(name="Tallinna ehitusamet", country="EE")
    factory.commit()
    return made


def names(response):
    return sorted(ordered_names(response))


def ordered_names(response):
    import re

    return re.findall(r'<th scope="row"><a href="/authorities/\d+/authority">([^<]+)</a>', response.get_data(as_text=True))


def test_default_is_only_my_active_authorities(world, many, login):
    client = login("nimic.admin")
    page = client.get("/authorities/")
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    assert names(page) == sorted(["Jelgavas būvvalde", "Jūrmalas būvvalde", "Ogres novada pašvaldība", "Rīgas pilsētas būvvalde", "Valsts ieņēmumu dienests"])
    everyone = names(client.get("/authorities/?mine=no"))
    assert "Daugavpils būvvalde (not managed)" in everyone and "Tallinna ehitusamet" not in everyone


@pytest.mark.parametrize("query,expected", [
    ("q=buvvalde", ["Jelgavas būvvalde", "Jūrmalas būvvalde", "Rīgas pilsētas būvvalde"]),
    ("q=rigas", ["Rīgas pilsētas būvvalde"]),  # accents and case do not matter
    ("q=VALDE+r", ["Jūrmalas būvvalde", "Rīgas pilsētas būvvalde"]),  # every word, anywhere in a word
    ("q=nemumu", ["Valsts ieņēmumu dienests"]),  # the middle of a word
    ("city=riga", ["Rīgas pilsētas būvvalde", "Valsts ieņēmumu dienests"]),
    ("status=deactivated", ["Liepājas būvvalde"]),
    ("q=buvvalde&status=all", ["Jelgavas būvvalde", "Jūrmalas būvvalde", "Liepājas būvvalde", "Rīgas pilsētas būvvalde"]),
])
def test_criteria(world, many, login, query, expected):
    assert names(login("nimic.admin").get(f"/authorities/?{query}")) == expected


def test_module_and_classification_criteria(world, many, login):
    client = login("nimic.admin")
    assert names(client.get(f"/authorities/?module={world.svc.id}")) == ["Jūrmalas būvvalde"]
    without = names(client.get(f"/authorities/?without_module={world.svc.id}&q=buvvalde"))
    assert without == ["Jelgavas būvvalde", "Rīgas pilsētas būvvalde"]
    assert names(client.get(f"/authorities/?classification={world.general.entries[1].id}")) == ["Rīgas pilsētas būvvalde"]


def test_fragment_paging_and_sorting(world, many, login, app, monkeypatch):
    from imi_web import authority_search as search

    monkeypatch.setattr(search, "PER_PAGE", 2)
    monkeypatch.setattr(search.search_managed, "__defaults__", (2,))
    client = login("nimic.admin")
    fragment = client.get("/authorities/?q=buvvalde", htmx=True)
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and "3 authorities found" in html and "Page 1 of 2" in html
    assert 'href="/authorities/?q=buvvalde&amp;page=2"' in html
    second = client.get("/authorities/?q=buvvalde&page=2")
    assert names(second) == ["Rīgas pilsētas būvvalde"]
    backwards = names(client.get("/authorities/?q=buvvalde&sort=-name"))
    assert backwards == ["Jūrmalas būvvalde", "Rīgas pilsētas būvvalde"]


def test_search_index_follows_renames(world, many, login, db):
    authority = many["Ogres novada pašvaldība"]
    authority.official_name = "Ogres novada būvvalde"
    db.session.commit()
    client = login("nimic.admin")
    assert "Ogres novada būvvalde" in names(client.get("/authorities/?q=buvvalde"))
    assert names(client.get("/authorities/?q=pasvaldiba")) == []
    assert_name_postings_match(db)
    db.session.delete(authority)
    db.session.commit()
    assert "Ogres novada būvvalde" not in names(client.get("/authorities/?q=buvvalde"))
    assert_name_postings_match(db)


def test_queries_do_not_grow_with_results(world, many, login, db, factory, query_count):
    client = login("nimic.admin")

    def count():
        with query_count.statements() as statements:
            assert client.get("/authorities/?q=valde&status=all").status_code == 200
        return len(statements)

    few = count()
    for i in range(30):
        authority = factory.authority(name=f"Papildu būvvalde {i}")
        db.session.add(AccessManagerLink(managed=authority, manager=world.nimic))
    factory.commit()
    assert count() == few


@pytest.mark.parametrize("who", ["nimic.user", "plain.admin"])
def test_who_may_not_search(world, login, who):
    client = login(who)
    assert client.get("/authorities/").status_code == 403
    assert client.get("/authorities/", htmx=True).status_code == 403


@pytest.mark.parametrize("query", ["q=buvvalde", "q=valde+buv", "q=bu", "mine=yes"])
def test_count_stops_at_the_cap_and_the_pages_go_on(world, many, login, monkeypatch, query):
    """Past COUNT_CAP the heading says "more than", the pager has no last page, and the
    rows are the same as with an exact count (the page comes from the name index then)."""
    from imi_web import authority_search as search

    client = login("nimic.admin")
    exact = names(client.get(f"/authorities/?{query}"))
    assert len(exact) >= 3
    monkeypatch.setattr(search, "COUNT_CAP", 2)
    monkeypatch.setattr(search.search_managed, "__defaults__", (2,))
    first = client.get(f"/authorities/?{query}", htmx=True).get_data(as_text=True)
    assert "More than 2 authorities found" in first and "Page 1" in first and "Page 1 of" not in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    # "Count them all" gives the exact number, and paging keeps it.
    assert "Count them all" in first
    counted = client.get(f"/authorities/?{query}&count=all", htmx=True).get_data(as_text=True)
    pages_total = (len(exact) + 1) // 2
    assert f"{len(exact)} authorities found" in counted and "Count them all" not in counted
    assert f"Page 1 of {pages_total}" in counted and "count=all&amp;page=2" in counted
    assert names(client.get(f"/authorities/?{query}&count=all&page={pages_total}")) == exact[-(len(exact) % 2 or 2):]
    assert sorted(every_page(client, f"/authorities/?{query}", ordered_names)) == exact


@pytest.mark.parametrize("sort", ["name", "-name"])
@pytest.mark.parametrize("query", ["q=buvvalde", "q=valde+buv", "q=ALDE", "q=ga&city=r"])
def test_pages_from_the_name_postings_are_in_name_order(world, many, login, monkeypatch, factory, db, query, sort):
    """With more hits than COUNT_CAP the pages walk the term's name postings; they give the same
    rows in the same order as the hits sorted (few hits)."""
    from imi_web import authority_search as search

    for i in range(6):  # names that share the trigram "buv"/"ald" without the whole word
        factory.authority(name=f"Būvniecības {'ABCDEF'[i]} centrs Alda", city="Rēzekne")
        factory.authority(name=f"{'ZYXWVU'[i]} Rīgas būvvalde", city="Rīga")
    factory.commit()
    client = login("nimic.admin")
    exact = ordered_names(client.get(f"/authorities/?{query}&mine=no&sort={sort}"))
    assert len(exact) >= 3
    monkeypatch.setattr(search, "COUNT_CAP", 2)
    monkeypatch.setattr(search.search_managed, "__defaults__", (2,))
    assert every_page(client, f"/authorities/?{query}&mine=no&sort={sort}", ordered_names) == exact
    assert_name_postings_match(db)


def test_without_module_offers_to_grant_it_from_the_results(world, many, login):
    """R-4.2: "without access to module X" lists the authorities to grant X to, with a link to
    the grant form with X chosen — only where the delegation covers X."""
    html = login("nimic.admin").get(f"/authorities/?without_module={world.svc.id}&q=buvvalde").get_data(as_text=True)
    rigas = many["Rīgas pilsētas būvvalde"]
    assert f'href="/authorities/{rigas.id}/modules/new?module={world.svc.id}"' in html
    assert "Grant access to SVC" in html
    assert "Grant access to" not in login("nimic.admin").get("/authorities/?q=buvvalde").get_data(as_text=True)
    # The partial delegate manages PQ only: it finds the authorities but is offered no grant of SVC.
    partial = login("partial.admin").get(f"/authorities/?without_module={world.svc.id}&mine=no").get_data(as_text=True)
    assert "Grant access to" not in partial
    partial_pq = login("partial.admin").get(f"/authorities/?without_module={world.pq.id}&mine=no").get_data(as_text=True)
    assert "Grant access to PQ" in partial_pq


def test_a_deactivated_result_is_offered_no_grant(world, many, login):
    """The button of each result is policy.may_grant_to_result: only an active authority gets
    modules, as the grant form itself says (may_grant_modules)."""
    html = login("nimic.admin").get(f"/authorities/?without_module={world.svc.id}&status=all&q=buvvalde").get_data(as_text=True)
    liepajas, rigas = many["Liepājas būvvalde"], many["Rīgas pilsētas būvvalde"]
    assert "Liepājas būvvalde" in html
    assert f'/authorities/{liepajas.id}/modules/new' not in html
    assert f'/authorities/{rigas.id}/modules/new?module={world.svc.id}' in html
