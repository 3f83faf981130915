"""An access manager registers a user; the user logs in; the status turns active/valid (R-3.6, R-3.9)."""

import re

import pytest
from playwright.sync_api import expect

from imi_web.extensions import db
from imi_web.outbox import deliver_pending
from imi_web.models import ModuleAccess, ModuleRole
from tests.conftest import Factory

pytestmark = pytest.mark.browser


@pytest.fixture
def server(make_live_server, smtp_server):
    server = make_live_server(**smtp_server.config())
    with server.app_context():
        factory = Factory(db)
        nimic = factory.nimic("LV")
        factory.user(nimic, username="nimic.admin", is_admin=True, first_name="Līga", surname="Ozoliņa")
        svc = factory.module("SVC")
        svc.name_en = "Services"
        authority = factory.authority(name="Jelgavas būvvalde")
        db.session.add(ModuleAccess(authority=authority, module=svc, role=ModuleRole.AUTHORITY))
        factory.user(authority, username="jelgava.admin", is_admin=True)
        factory.commit()
        server.authority_id = authority.id
    return server


def test_register_user_then_first_login(server, smtp_server, page, browser_context, console, screenshot):
    page.goto(server.url + "/login")
    page.get_by_label("Username").fill("nimic.admin")
    page.get_by_label("Password").fill(Factory.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{server.url}/authorities/{server.authority_id}/users")
    page.get_by_role("link", name="Register user").click()
    expect(page.get_by_role("heading", name="Register user")).to_be_focused()
    page.fill("#first_name", "Pēteris")
    page.fill("#surname", "Kļaviņš")
    page.fill("#email", "peteris@jelgava.lv.example")
    page.select_option("#language", "en")
    page.get_by_label("Right SEND").check()
    screenshot(page, "register-user")
    page.get_by_role("button", name="Register user").click()
    notice = page.locator(".flash-username")
    expect(notice).to_contain_text("never sent by e-mail")
    username = re.search(r"The username is (\S+)\. ", notice.inner_text()).group(1)
    assert username == "pklavins"
    row = page.locator("tr", has_text="Pēteris Kļaviņš")
    expect(row).to_contain_text("new")
    expect(row).to_contain_text("temporary")
    screenshot(page, "users-tab-new-user")

    with server.app_context():
        assert deliver_pending() == {"sent": 1, "failed": 0}
    mail = smtp_server.messages[-1]
    assert username not in mail["message"].as_string()
    password = mail["body"].split("Your temporary password: ")[1].split()[0]

    # The new user, in another browser profile: forced to change the temporary password.
    other = browser_context.browser.new_context(locale="en-GB")
    try:
        own = other.new_page()
        own.goto(server.url + "/login")
        own.get_by_label("Username").fill(username)
        own.get_by_label("Password").fill(password)
        own.get_by_role("button", name="Log in").click()
        expect(own).to_have_url(re.compile(r"/account/password$"))
        own.get_by_label("Current password").fill(password)
        own.get_by_label("New password", exact=True).fill("Jelgava-2026")
        own.get_by_label("Repeat the new password").fill("Jelgava-2026")
        own.get_by_role("button", name="Change password").click()
        expect(own.get_by_role("heading", level=1)).to_contain_text("Pēteris")
    finally:
        other.close()

    page.reload()
    row = page.locator("tr", has_text="Pēteris Kļaviņš")
    expect(row).to_contain_text("active")
    expect(row).to_contain_text("valid")
    expect(row).to_contain_text("Change username")  # registration is complete now
