"""Managed authorities in Chromium (issue 5): search as you type, open, edit, switch tabs.

Typing updates the results with htmx and pushes the URL (a bookmarkable search); the result
opens the authority; "Edit authority" saves and unlocks the other tabs (R-3.2) until "Finish
editing"; the tabs switch with htmx and also load from the address bar.
"""

import re

import pytest
from playwright.sync_api import expect

from imi_web.extensions import db
from imi_web.models import AccessManagerLink, Authority
from tests.conftest import Factory

pytestmark = pytest.mark.browser


@pytest.fixture
def server(make_live_server):
    server = make_live_server()
    with server.app_context():
        factory = Factory(db)
        nimic = factory.nimic("LV")
        factory.user(nimic, username="nimic.admin", is_admin=True, first_name="Līga", surname="Ozoliņa")
        factory.module("SVC").name_en = "Services"
        for name, city in [("Rīgas pilsētas būvvalde", "Rīga"), ("Jūrmalas būvvalde", "Jūrmala"), ("Ogres novada pašvaldība", "Ogre")]:
            authority = factory.authority(
                name=name, city=city, informal_name=name.split()[0], email=f"info@{city.lower()}.lv.example",
                street_address="Brīvības iela 1", postal_code="LV-1001",
            )
            db.session.add(AccessManagerLink(managed=authority, manager=nimic))
        factory.commit()
    return server


def test_search_open_edit_and_switch_tabs(server, page, console, screenshot):
    page.goto(server.url + "/login")
    page.get_by_label("Username").fill("nimic.admin")
    page.get_by_label("Password").fill(Factory.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Managed authorities").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Managed authorities")
    results = page.locator("#search-results")
    expect(results.get_by_role("heading")).to_have_text("3 authorities found")

    # Typing without accents finds the name with them; the URL follows (htmx, no reload).
    page.evaluate("window.__notReloaded = true")
    page.get_by_label("Name (official or informal)").press_sequentially("rigas")
    expect(results.get_by_role("heading")).to_have_text("1 authority found")
    expect(page).to_have_url(re.compile(r"/authorities/\?q=rigas"))
    assert page.evaluate("window.__notReloaded") is True
    screenshot(page, "managed-authorities-search")

    # The bookmarked search serves the same results as a page.
    page.goto(page.url)
    expect(page.locator("#search-results tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Rīgas pilsētas būvvalde").click()
    expect(page.get_by_role("tab", name="Authority")).to_have_attribute("aria-selected", "true")

    # Edit: save a new phone; the other tabs are unlocked until "Finish editing".
    page.get_by_role("link", name="Edit authority").click()
    page.get_by_label("Phone").fill("+371 67000001")
    screenshot(page, "managed-authority-edit")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#tab-panel")).to_contain_text("+371 67000001")
    expect(page.get_by_role("button", name="Finish editing")).to_be_visible()
    with server.app_context():
        assert db.session.query(Authority).filter_by(official_name="Rīgas pilsētas būvvalde").one().phone == "+371 67000001"

    page.get_by_role("tab", name="Modules").click()
    expect(page).to_have_url(re.compile(r"/authorities/\d+/modules$"))
    expect(page.get_by_role("tab", name="Modules")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tabpanel")).to_be_focused()
    expect(page.get_by_role("heading", name="Grant access to a module")).to_be_visible()
    screenshot(page, "managed-authority-modules-editing")
    page.get_by_role("button", name="Finish editing").click()
    expect(page.get_by_role("heading", name="Grant access to a module")).to_have_count(0)
    expect(page.get_by_text("To change the data on this tab, choose:")).to_be_visible()
    expect(page.get_by_role("tabpanel")).to_be_focused()  # the swap settled, focus on the panel

    # Keyboard: arrow keys move between the tabs; the address bar loads a tab as a page.
    page.get_by_role("tab", name="Modules").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Users")).to_be_focused()
    management = page.url.replace("/modules", "/management")
    page.goto(management)
    expect(page.get_by_role("tab", name="Management details")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("heading", name="Update history")).to_be_visible()
    expect(page.locator("#history")).to_contain_text("+371 67000001")
    page.go_back()
    expect(page.get_by_role("tab", name="Modules")).to_have_attribute("aria-selected", "true")
