"""The whole retirement path in a browser (R-5.1, R-5.2, R-5.4): suspend all → deactivate
(confirmed; the authority's users are logged out) → not found → reactivate → restore."""

import re

import pytest
from playwright.sync_api import expect

from imi_web.extensions import db
from imi_web.models import AccessManagerLink, ModuleAccess, ModuleRole
from tests.conftest import Factory

pytestmark = pytest.mark.browser

NAME = "Jelgavas būvvalde"


@pytest.fixture
def server(make_live_server):
    server = make_live_server()
    with server.app_context():
        factory = Factory(db)
        nimic = factory.nimic("LV")
        factory.user(nimic, username="nimic.admin", is_admin=True, first_name="Līga", surname="Ozoliņa")
        svc = factory.module("SVC")
        svc.name_en = "Services"
        ecom = factory.module("ECOM")
        ecom.name_en = "E-commerce"
        authority = factory.authority(name=NAME, city="Jelgava")
        db.session.add_all(
            [
                ModuleAccess(authority=authority, module=svc, role=ModuleRole.AUTHORITY),
                ModuleAccess(authority=authority, module=ecom, role=ModuleRole.COORDINATOR),
                AccessManagerLink(managed=authority, manager=nimic),
            ]
        )
        factory.user(authority, username="jelgava.admin", is_admin=True)
        factory.commit()
        server.authority_id = authority.id
        server.has_directory = "directory.search" in server.app.view_functions
    return server


def log_in(page, server, username):
    page.goto(server.url + "/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(Factory.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def found(page, server) -> dict:
    """Whether the authority is found: in the directory (if this installation has it) and
    among the active ones of "Managed authorities"."""
    result = {}
    if server.has_directory:
        page.goto(f"{server.url}/directory/?q=Jelgavas")
        result["directory"] = page.locator("#search-results").get_by_text(NAME).count() > 0
    page.goto(f"{server.url}/authorities/?q=Jelgavas&status=active&mine=no")
    result["managed"] = page.locator("#search-results").get_by_text(NAME).count() > 0
    return result


def test_suspend_all_deactivate_reactivate_restore(server, page, browser_context, console, screenshot):
    console.expect_status(422)
    tab = f"{server.url}/authorities/{server.authority_id}/authority"

    # The authority's own admin is logged in, in another browser profile.
    other = browser_context.browser.new_context(locale="en-GB")
    own = other.new_page()
    log_in(own, server, "jelgava.admin")
    own.goto(tab)
    expect(own.get_by_role("heading", level=1)).to_have_text(NAME)

    log_in(page, server, "nimic.admin")
    assert set(found(page, server).values()) == {True}

    # Deactivation is refused while module access is active: "Suspend all modules".
    page.goto(tab)
    section = page.locator("#retirement")
    expect(section).to_contain_text("Access to these modules is still active: ECOM, SVC.")
    expect(section.get_by_role("link", name="Deactivate authority…")).to_have_count(0)
    screenshot(page, "retirement-1-refused")
    section.get_by_role("button", name="Suspend all modules").click()
    expect(section).to_contain_text("Access to 2 modules has been suspended.")
    expect(page.get_by_role("heading", name="Deactivate authority")).to_be_focused()
    screenshot(page, "retirement-2-suspended")

    # The confirmation step (htmx here; a page of its own without JavaScript).
    section.get_by_role("link", name="Deactivate authority…").click()
    expect(section).to_contain_text(f"Deactivate {NAME}?")
    expect(page.get_by_role("heading", name="Deactivate authority")).to_be_focused()
    screenshot(page, "retirement-3-confirm")
    section.get_by_role("button", name="Deactivate authority").click()

    expect(page.locator(".flash-success")).to_contain_text("The authority has been deactivated")
    expect(page.locator(".page-head .status")).to_have_text("deactivated")
    section = page.locator("#retirement")
    expect(section.get_by_role("heading", name="Deactivated authority")).to_be_visible()
    expect(section).to_contain_text("Deletion date:")
    expect(section.locator(".days-left")).to_have_text(re.compile(r"\((18[0-4]) days left\)"))
    screenshot(page, "retirement-4-deactivated")

    # Its admin's session has ended.
    own.goto(tab)
    expect(own).to_have_url(re.compile(r"/login"))
    other.close()

    # Not found any more.
    assert set(found(page, server).values()) == {False}

    # Reactivate, then restore the modules on tab "Modules".
    page.goto(tab)
    page.locator("#retirement").get_by_role("button", name="Reactivate authority").click()
    expect(page.locator(".flash-success")).to_contain_text("The authority is active again.")
    expect(page.locator(".page-head .status")).to_have_text("active")
    expect(page.get_by_role("button", name="Suspend all modules")).to_have_count(0)
    screenshot(page, "retirement-5-reactivated")
    page.get_by_role("tab", name="Modules").click()
    expect(page).to_have_url(re.compile(r"/modules$"))
    hint = page.locator(".edit-mode-hint")  # "Edit authority" unlocks the tab "Modules"
    if hint.count():
        hint.get_by_role("link", name="Edit authority").click()
        page.get_by_role("tab", name="Modules").click()
        expect(page.get_by_role("tab", name="Modules")).to_have_attribute("aria-selected", "true")
    for code in ("ECOM", "SVC"):
        row = page.locator(".module-row", has_text=code)
        row.get_by_role("button", name=f"Restore access {code}").click()
        expect(page.locator(".module-row", has_text=code).locator(".status")).to_have_text("active")
    screenshot(page, "retirement-6-restored")
    assert set(found(page, server).values()) == {True}


def test_the_confirmation_works_without_javascript(server, chromium, screenshot):
    context = chromium.new_context(locale="en-GB", java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page, server, "nimic.admin")
        page.goto(f"{server.url}/authorities/{server.authority_id}/authority")
        page.get_by_role("button", name="Suspend all modules").click()
        expect(page.locator(".flash-success")).to_contain_text("Access to 2 modules has been suspended.")
        page.get_by_role("link", name="Deactivate authority…").click()
        expect(page).to_have_url(re.compile(r"/authority/deactivate$"))
        screenshot(page, "retirement-confirm-no-js")
        page.get_by_role("button", name="Deactivate authority").click()
        expect(page).to_have_url(re.compile(r"/authority$"))
        expect(page.locator("#retirement")).to_contain_text("Deletion date:")
        page.get_by_role("button", name="Reactivate authority").click()
        expect(page.locator(".flash-success")).to_contain_text("The authority is active again.")
    finally:
        context.close()


def test_the_deactivated_tab_in_latvian(server, page, screenshot):
    from datetime import timedelta

    from imi_web.models import AccessStatus, Authority, AuthorityStatus, utcnow

    with server.app_context():
        authority = db.session.get(Authority, server.authority_id)
        for access in authority.module_accesses:
            access.status = AccessStatus.SUSPENDED
        authority.status = AuthorityStatus.DEACTIVATED
        authority.deactivated_at = utcnow() - timedelta(days=170)
        db.session.commit()
    log_in(page, server, "nimic.admin")
    page.get_by_role("button", name="Latviski").click()
    page.goto(f"{server.url}/authorities/{server.authority_id}/authority")
    section = page.locator("#retirement")
    expect(section.get_by_role("heading", name="Deaktivizēta iestāde")).to_be_visible()
    expect(section).to_contain_text("Dzēšanas datums:")
    expect(section.locator(".days-left")).to_have_text(re.compile(r"\(vēl 1[0-3] dien(u|as)\)"))
    expect(section.get_by_role("button", name="Aktivizēt iestādi")).to_be_visible()
    screenshot(page, "retirement-lv-deactivated")
