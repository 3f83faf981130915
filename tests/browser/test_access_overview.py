"""Administration → Access overview in Chromium (issue 19): criteria as you choose them (htmx,
bookmarkable URL), paging, suspended accesses marked in words, a cell's link to the tab
Modules by keyboard, axe and the Nu checker clean in English and Latvian, a 320 px screen."""

import re

import pytest
from playwright.sync_api import expect

from imi_web.extensions import db
from imi_web.models import AccessManagerLink, AccessStatus, ModuleAccess, ModuleRole
from tests.conftest import Factory

pytestmark = pytest.mark.browser


@pytest.fixture
def server(make_live_server):
    server = make_live_server()
    with server.app_context():
        factory = Factory(db)
        nimic = factory.nimic("LV")
        factory.user(nimic, username="nimic.admin", is_admin=True, first_name="Līga", surname="Ozoliņa")
        factory.user(nimic, username="nimic.lv", is_admin=True, first_name="Jānis", surname="Bērziņš", language="lv")
        pq = factory.module("PQ")
        svc = factory.module("SVC")
        factory.module("ECOM")
        for i in range(30):
            authority = factory.authority(name=f"Būvvalde Nr. {i:02d}", city="Rīga")
            db.session.add(AccessManagerLink(managed=authority, manager=nimic))
            db.session.add(ModuleAccess(authority=authority, module=svc, role=ModuleRole.AUTHORITY))
        coordinator = factory.authority(name="Ārstniecības inspekcija", city="Rīga")
        suspended = factory.authority(name="Jūrmalas valstspilsētas pašvaldības būvvalde un teritorijas plānošanas nodaļa", city="Jūrmala")
        for authority in (coordinator, suspended):
            db.session.add(AccessManagerLink(managed=authority, manager=nimic))
        db.session.add_all([
            ModuleAccess(authority=coordinator, module=pq, role=ModuleRole.COORDINATOR),
            ModuleAccess(authority=suspended, module=pq, role=ModuleRole.AUTHORITY, status=AccessStatus.SUSPENDED, linked_coordinator=coordinator),
        ])
        factory.commit()
        server.suspended_id = suspended.id
    return server


def log_in(page, server, username):
    page.goto(server.url + "/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(Factory.PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(server.url + "/")


def test_matrix_criteria_paging_and_keyboard(server, page, console, screenshot, check_page):
    log_in(page, server, "nimic.admin")
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Access overview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Access overview")
    results = page.locator("#search-results")
    expect(results.get_by_role("heading", level=2)).to_have_text("32 authorities found")
    expect(results.locator("tbody tr")).to_have_count(25)
    expect(results.locator("thead th")).to_have_text(["Authority", "ECOM", "PQ", "SVC"])
    expect(results.locator("tfoot td").nth(2)).to_have_text("Coordinators: 0Authorities: 30")
    check_page(page, "access overview, English")
    screenshot(page, "access-overview")

    # Paging: the next page, by its link.
    results.get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(results.locator("tbody tr")).to_have_count(7)

    # Criteria update the matrix without a reload and go into the URL.
    page.evaluate("window.__notReloaded = true")
    page.get_by_label("Suspended access only").check()
    expect(results.get_by_role("heading", level=2)).to_have_text("1 authority found")
    expect(page).to_have_url(re.compile(r"suspended=yes"))
    assert "page=" not in page.url
    cell = results.locator("td.access-suspended")
    expect(cell).to_contain_text("authority")
    expect(cell).to_contain_text("linked")
    expect(cell).to_contain_text("suspended")  # in words, not only a colour
    page.get_by_label("Suspended access only").uncheck()
    page.get_by_label("Role in the module").select_option("coordinator")
    expect(results.get_by_role("heading", level=2)).to_have_text("1 authority found")
    expect(results.locator("tbody th")).to_have_text(["Ārstniecības inspekcija"])
    assert page.evaluate("window.__notReloaded") is True
    check_page(page, "access overview, coordinators")

    # The bookmarked URL serves the same matrix as a page.
    page.goto(page.url)
    expect(results.locator("tbody th")).to_have_text(["Ārstniecības inspekcija"])

    # By keyboard: Tab from the form's button reaches the cell's link; Enter opens tab Modules.
    page.get_by_label("Role in the module").select_option("")
    page.get_by_label("Suspended access only").check()
    expect(results.get_by_role("heading", level=2)).to_have_text("1 authority found")
    page.get_by_role("button", name="Show access").focus()
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('td') !== null"):
            break
    assert page.evaluate("document.activeElement.closest('td.access-suspended') !== null")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/authorities/{server.suspended_id}/modules$"))
    expect(page.get_by_role("tab", name="Modules")).to_have_attribute("aria-selected", "true")


def test_latvian_on_a_320_px_screen(server, page, console, screenshot, check_page):
    page.set_viewport_size({"width": 320, "height": 700})
    log_in(page, server, "nimic.lv")
    page.goto(server.url + "/access-overview/?mine=no")
    expect(page.get_by_role("heading", level=1)).to_have_text("Piekļuves pārskats")
    expect(page.locator("#search-results tfoot th")).to_have_text("Kopā")
    # The page itself does not scroll sideways; the matrix scrolls in its own container.
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
    region = page.get_by_role("region", name="Katras iestādes loma katrā modulī")
    assert region.evaluate("el => el.scrollWidth > el.clientWidth")
    region.focus()
    page.keyboard.press("ArrowRight")  # a focusable region scrolls by keyboard too
    check_page(page, "access overview, Latvian, 320 px")
    screenshot(page, "access-overview-320-lv")
