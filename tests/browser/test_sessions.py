"""Sessions in Chromium (issue 14): log in, find the session under My account → Sessions, log
out, press Back — the page is not shown again; a second browser is logged out from the first."""

import re

import pytest
from playwright.sync_api import expect

from imi_web.extensions import db
from tests.conftest import Factory

pytestmark = pytest.mark.browser


@pytest.fixture
def official(live_server):
    with live_server.app_context():
        factory = Factory(db)
        factory.user(authority=factory.authority(name="Valsts zemes dienests"), username="akalnina", language="en")
        factory.commit()
    return "akalnina"


def log_in(page, live_server, username):
    page.goto(live_server.url + "/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(Factory.PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(live_server.url + "/")


def test_sessions_page_logout_and_back(live_server, official, page, chromium, console, screenshot):
    log_in(page, live_server, official)
    # A second browser (another profile): a phone, say.
    other = chromium.new_context(locale="en-GB", user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) "
                                 "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1")
    phone = other.new_page()
    try:
        log_in(phone, live_server, official)

        page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Sessions").click()
        page.wait_for_url(live_server.url + "/account/sessions")
        expect(page.get_by_role("heading", name="2 active sessions")).to_be_visible()
        expect(page.locator("table.sessions")).to_contain_text("This session")
        expect(page.locator("table.sessions")).to_contain_text("Mobile Safari 17 · iOS 17")
        screenshot(page, "sessions-en")

        page.get_by_role("button", name="Log out other sessions").click()
        expect(page.get_by_text("1 other session has been logged out.")).to_be_visible()
        expect(page.get_by_role("heading", name="1 active session")).to_be_visible()
        phone.reload()
        expect(phone).to_have_url(live_server.url + "/login?next=/")
        expect(phone.get_by_text("Your session has ended. Please log in again.")).to_be_visible()
    finally:
        other.close()

    page.goto(live_server.url + "/")
    page.get_by_role("button", name="Log out").first.click()
    page.wait_for_url(live_server.url + "/login")
    expect(page.get_by_text("You have logged out.")).to_be_visible()
    page.go_back()
    # The profile page is not shown again: not from the cache (no-store), not by the server.
    expect(page).to_have_url(live_server.url + "/login?next=/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    assert "Valsts zemes dienests" not in page.content()
    console.assert_clean()


def test_security_events_page_filters_as_you_type(live_server, page, console, screenshot):
    with live_server.app_context():
        factory = Factory(db)
        nimic = factory.nimic("LV")
        factory.user(authority=nimic, username="nimic.admin", is_admin=True, language="lv")
        factory.user(authority=factory.authority(name="Jelgavas būvvalde"), username="jozols")
        factory.commit()
    for attempt in range(2):  # two failed logins of jozols, from another browser profile
        page.goto(live_server.url + "/login")
        page.locator("#username").fill("jozols")
        page.locator("#password").fill(f"Wrong-Password-{attempt}")
        page.locator("main form button[type=submit]").click()
    console.expect_status(422)
    log_in(page, live_server, "nimic.admin")
    page.get_by_role("link", name="Drošības notikumi").click()
    page.wait_for_url(live_server.url + "/security-events/")
    expect(page.get_by_role("heading", name="Atrasti 3 notikumi")).to_be_visible()
    page.get_by_label("Lietotājvārds").fill("jozols")
    expect(page.get_by_role("heading", name="Atrasti 2 notikumi")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/security-events/\?.*username=jozols"))  # a bookmark
    expect(page.locator("table.events")).to_contain_text("nepareiza parole")
    screenshot(page, "security-events-lv")
    console.assert_clean()
