"""Menu "Authorities" → "Search" in a browser: typing updates the results and the URL (R-5.2)."""

import re

import pytest
from playwright.sync_api import expect

from imi_web.extensions import db
from imi_web.models import AccessStatus, AuthorityStatus, ModuleAccess, ModuleRole
from tests.conftest import Factory

pytestmark = pytest.mark.browser


@pytest.fixture
def server(make_live_server):
    server = make_live_server()
    with server.app_context():
        factory = Factory(db)
        nimic = factory.nimic("LV")
        factory.user(nimic, username="reader", first_name="Līga", surname="Ozoliņa")
        factory.user(nimic, username="lasitajs", language="lv")
        factory.country("EE", "Igaunija", "Estonia")
        svc = factory.module("SVC")
        svc.name_en = "Services"
        pq = factory.module("PQ")
        pq.name_en = "Professional qualifications"
        riga = factory.authority(name="Rīgas pilsētas būvvalde", city="Rīga", email="buvvalde@riga.lv.example", phone="+371 67012345", street_address="Amatu iela 4", postal_code="LV-1050")
        riga.informal_name = "Rīgas būvvalde"
        db.session.add(ModuleAccess(authority=riga, module=svc, role=ModuleRole.AUTHORITY))
        db.session.add(ModuleAccess(authority=riga, module=pq, role=ModuleRole.AUTHORITY, status=AccessStatus.SUSPENDED))
        tallinn = factory.authority(name="Tallinna ehitusamet", country="EE", city="Tallinn", email="info@tallinn.ee.example")
        db.session.add(ModuleAccess(authority=tallinn, module=svc, role=ModuleRole.COORDINATOR))
        factory.authority(name="Liepājas būvvalde", city="Liepāja", status=AuthorityStatus.DEACTIVATED)
        for i in range(30):
            factory.authority(name=f"Novada pašvaldība {i:02d}", city="Ogre")
        factory.commit()
    return server


def test_typing_updates_results_and_url(server, page, screenshot):
    page.goto(server.url + "/login")
    page.get_by_label("Username").fill("reader")
    page.get_by_label("Password").fill(Factory.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Search").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Search authorities")
    expect(page.locator("#results-title")).to_have_text("33 authorities found")
    screenshot(page, "directory-search")

    page.get_by_label("Name (official or informal)").press_sequentially("buvv", delay=40)
    expect(page.locator("#results-title")).to_have_text("1 authority found")  # not the deactivated one
    expect(page).to_have_url(re.compile(r"/directory/\?q=buvv(&|$)"))
    row = page.locator("tbody tr", has_text="Rīgas pilsētas būvvalde")
    expect(row).to_contain_text("buvvalde@riga.lv.example")
    expect(row).to_contain_text("SVC · authority")
    expect(row).not_to_contain_text("PQ")  # suspended: not offered as a partner in PQ
    expect(page.get_by_label("Name (official or informal)")).to_be_focused()  # typing goes on

    page.get_by_label("Name (official or informal)").fill("")
    page.get_by_label("Module", exact=True).select_option(label="SVC — Services")
    page.get_by_label("Role in the module").select_option("coordinator")
    expect(page.locator("#results-title")).to_have_text("1 authority found")
    expect(page.locator("tbody")).to_contain_text("Tallinna ehitusamet")
    expect(page).to_have_url(re.compile(r"role=coordinator"))
    screenshot(page, "directory-search-criteria")

    page.get_by_role("link", name="Tallinna ehitusamet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tallinna ehitusamet")
    expect(page.locator("#directory-entry")).to_contain_text("info@tallinn.ee.example")
    expect(page.locator("#directory-entry")).to_contain_text("coordinator")
    expect(page.locator("#directory-entry")).to_contain_text("Estonia")
    page.get_by_role("link", name="Back to the search results").click()
    expect(page.get_by_label("Role in the module")).to_have_value("coordinator")
    expect(page.locator("tbody")).to_contain_text("Tallinna ehitusamet")


def test_paging_and_back_button(server, page):
    page.goto(server.url + "/login")
    page.get_by_label("Username").fill("reader")
    page.get_by_label("Password").fill(Factory.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(server.url + "/directory/?q=novada")
    expect(page.locator("#results-title")).to_have_text("30 authorities found")
    page.get_by_role("link", name="Next").focus()
    page.keyboard.press("Enter")  # by keyboard: the link goes with the results it replaces…
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.locator("tbody")).to_contain_text("Novada pašvaldība 29")
    expect(page.locator("#results-title")).to_be_focused()  # …so focus moves to their heading
    page.go_back()
    expect(page.locator("tbody")).to_contain_text("Novada pašvaldība 00")


def test_latvian_and_narrow_screens(server, chromium, screenshot):
    context = chromium.new_context(locale="lv-LV", viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(server.url + "/login")
        page.locator("#username").fill("lasitajs")
        page.locator("#password").fill(Factory.PASSWORD)
        page.locator("button[type=submit].primary").click()
        page.goto(server.url + "/directory/?q=rigas")
        expect(page.get_by_role("heading", level=1)).to_have_text("Meklēt iestādes")
        expect(page.locator("tbody")).to_contain_text("SVC · iestāde")
        screenshot(page, "directory-search-lv-narrow")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the rows stack
        page.get_by_role("link", name="Rīgas pilsētas būvvalde").click()
        expect(page.locator("#directory-entry")).to_contain_text("Amatu iela 4")
        screenshot(page, "directory-entry-lv-narrow")
    finally:
        context.close()
