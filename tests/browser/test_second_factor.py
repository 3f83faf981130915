"""A second factor in Chromium (issue 16): an authenticator app set up with the keyboard only,
then a passkey registered, used to log in and removed, with Chromium's virtual authenticator
(the DevTools protocol's WebAuthn domain). WebAuthn needs a domain: the server is reached as
``localhost``, which IMI_BASE_URL names as the relying party."""

import re

import pyotp
import pytest
from playwright.sync_api import expect

from imi_web.extensions import db
from tests.conftest import Factory

pytestmark = pytest.mark.browser


@pytest.fixture
def site(live_server):
    base = f"http://localhost:{live_server.port}"
    live_server.app.config["BASE_URL"] = base
    with live_server.app_context():
        factory = Factory(db)
        factory.user(authority=factory.authority(name="Valsts zemes dienests"), username="akalnina", language="en")
        factory.commit()
    return base


def tab_to(page, locator, limit=40):
    """Press Tab until ``locator`` has the focus: it is reachable with the keyboard."""
    for _ in range(limit):
        if locator.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{locator} cannot be reached with Tab")


def log_in(page, site):
    page.goto(site + "/login")
    tab_to(page, page.locator("#username"))
    page.keyboard.type("akalnina")
    page.keyboard.press("Tab")
    page.keyboard.type(Factory.PASSWORD)
    page.keyboard.press("Enter")


def test_authenticator_app_with_the_keyboard_then_a_passkey(site, page, console, screenshot):
    log_in(page, site)
    page.wait_for_url(site + "/")
    page.goto(site + "/account/security/")
    tab_to(page, page.get_by_role("button", name="Set up an authenticator app"))
    page.keyboard.press("Enter")
    page.wait_for_url(site + "/account/security/authenticator")
    expect(page.locator(".qr svg")).to_be_visible()
    screenshot(page, "second-factor-app-setup")
    secret = page.locator("#secret-key").inner_text().replace(" ", "")
    tab_to(page, page.get_by_label("Code from the app"))
    page.keyboard.type(pyotp.TOTP(secret).now())
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    assert len(re.findall(r"[A-Z0-9]{5}-[A-Z0-9]{5}", page.locator(".recovery-codes").inner_text())) == 10
    screenshot(page, "second-factor-recovery-codes")
    tab_to(page, page.get_by_role("link", name="I have kept my codes"))
    page.keyboard.press("Enter")
    page.wait_for_url(site + "/account/security/")

    # A passkey, with Chromium's virtual authenticator standing in for a security key.
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    page.get_by_label("Name of the passkey").fill("Blue security key")
    page.get_by_role("button", name="Add a passkey or security key").click()
    expect(page.get_by_text("The passkey “Blue security key” has been added.")).to_be_visible()
    expect(page.locator("table.passkeys")).to_contain_text("Blue security key")
    screenshot(page, "second-factor-security")

    page.get_by_role("button", name="Log out").first.click()
    page.wait_for_url(site + "/login")
    log_in(page, site)
    page.wait_for_url(site + "/login/second-factor")
    screenshot(page, "second-factor-step")
    page.get_by_role("button", name="Use a passkey or security key").click()
    page.wait_for_url(site + "/")
    expect(page.get_by_role("heading", name="Welcome, Anna")).to_be_visible()

    page.goto(site + "/account/security/")
    page.get_by_role("button", name="Remove Blue security key").click()
    expect(page.get_by_text("The passkey has been removed.")).to_be_visible()
    expect(page.locator("table.passkeys")).to_have_count(0)
    console.assert_clean()


def test_the_second_factor_pages_in_latvian(live_server, page, console):
    """The pages of the second factor in Latvian, each checked by axe-core and the Nu HTML checker
    (the ``page`` fixture): set-up with a wrong code first, recovery codes, the second step."""
    console.expect_status(422)
    with live_server.app_context():
        factory = Factory(db)
        factory.user(authority=factory.authority(name="Valsts zemes dienests"), username="jberzins", language="lv")
        factory.commit()
    page.goto(live_server.url + "/login")
    page.locator("#username").fill("jberzins")
    page.locator("#password").fill(Factory.PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(live_server.url + "/")
    page.goto(live_server.url + "/account/security/")
    expect(page.locator("html")).to_have_attribute("lang", "lv")
    page.locator("main form button.primary").first.click()
    page.wait_for_url(live_server.url + "/account/security/authenticator")
    secret = page.locator("#secret-key").inner_text().replace(" ", "")
    page.locator("#code").fill("000000")
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page).to_have_title(re.compile("^Kļūda: "))
    page.locator("#code").fill(pyotp.TOTP(secret).now())
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator("h1")).to_have_text("Jūsu atkopšanas kodi")
    page.goto(live_server.url + "/account/security/")
    page.locator(".account form button[type=submit]").click()
    page.goto(live_server.url + "/login")
    page.locator("#username").fill("jberzins")
    page.locator("#password").fill(Factory.PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/login/second-factor"))
    page.locator("#code").fill("000000")
    page.locator("main form[action$='second-factor'] button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_focused()
