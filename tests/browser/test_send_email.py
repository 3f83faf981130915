""""Send e-mail" in a browser: criteria, preview with the numbers, send, mail delivered (R-6.1)."""

import pytest
from playwright.sync_api import expect

from imi_web.extensions import db
from imi_web.outbox import deliver_pending
from imi_web.models import AccessManagerLink
from tests.conftest import Factory
from tests.fixtures.browser import SCREENSHOTS

pytestmark = pytest.mark.browser


def shoot(page, name):
    """A screenshot that leaves the page as it was: Playwright's default (caret hidden) leaves
    ``style=""`` on the inputs, which htmx then copies when it settles a swap — a CSP error."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, caret="initial")


@pytest.fixture
def server(make_live_server, smtp_server):
    server = make_live_server(**smtp_server.config())
    with server.app_context():
        factory = Factory(db)
        nimic = factory.nimic("LV")
        factory.user(nimic, username="nimic.admin", is_admin=True, first_name="Līga", surname="Ozoliņa", email="liga@nimic.lv.example")
        for name, city, slug in (
            ("Jelgavas būvvalde", "Jelgava", "jelgava"),
            ("Rīgas būvvalde", "Rīga", "riga"),
            ("Ogres novada pašvaldība", "Ogre", "ogre"),
        ):
            authority = factory.authority(name=name, city=city)
            db.session.add(AccessManagerLink(managed=authority, manager=nimic))
            factory.user(authority, is_admin=True, email=f"admin@{slug}.lv.example", language="lv")
            factory.user(authority, email=f"user@{slug}.lv.example")
        factory.authority(name="Cēsu būvvalde (not managed)", city="Cēsis")
        factory.commit()
    return server


def test_send_email_with_preview(server, smtp_server, page, console, screenshot):
    console.expect_status(422)
    page.goto(server.url + "/login")
    page.get_by_label("Username").fill("nimic.admin")
    page.get_by_label("Password").fill(Factory.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Send e-mail").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Send e-mail")
    panel = page.locator("#mail-authorities")
    expect(panel).to_contain_text("3 authorities match the criteria")  # the ones I manage
    expect(panel).not_to_contain_text("Cēsu")

    # A subject with a line break cannot be typed; an empty one is refused beside the field.
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#subject-error")).to_contain_text("Fill in this field.")
    # Focus moves to the message saying what to correct (once htmx has settled the swap).
    expect(page.locator(".error-summary")).to_be_focused()

    page.get_by_label("Name (official or informal)").press_sequentially("valde", delay=40)
    expect(panel).to_contain_text("2 authorities match the criteria")
    expect(page.get_by_label("Name (official or informal)")).to_be_focused()
    page.get_by_label("all users of the authorities").check()
    page.get_by_label("Subject").fill("Ikgadējā IMI sanāksme")
    page.get_by_label("Message", exact=True).fill("Labdien!\nSanāksme notiks 3. decembrī.")
    shoot(page, "send-email-compose")
    page.get_by_role("button", name="Preview").click()

    expect(page.get_by_role("heading", name="Preview")).to_be_focused()
    expect(page.locator("#preview-recipients")).to_contain_text("4")
    expect(page.locator("#preview-authorities")).to_contain_text("2")
    expect(page.locator("#preview-authorities")).to_contain_text("Jelgavas būvvalde; Rīgas būvvalde")
    shoot(page, "send-email-preview")

    # Change the message: everything comes back as it was.
    page.get_by_role("button", name="Change the message").click()
    expect(page.get_by_role("heading", name="Preview")).to_have_count(0)
    expect(page.get_by_label("Name (official or informal)")).to_have_value("valde")
    expect(page.get_by_label("Subject")).to_have_value("Ikgadējā IMI sanāksme")
    # Tick one authority only.
    page.get_by_label("Only the authorities ticked in the list").check()
    page.get_by_label("Rīgas būvvalde").check()
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-recipients")).to_contain_text("2")
    page.get_by_role("button", name="Send to 2 recipients").click()
    expect(page.locator(".flash-success")).to_contain_text("Recipients: 2; authorities: 1.")
    expect(page.locator(".sent-messages")).to_contain_text("Ikgadējā IMI sanāksme")
    screenshot(page, "send-email-sent")

    with server.app_context():
        assert deliver_pending() == {"sent": 2, "failed": 0}
    assert sorted(m["to"] for m in smtp_server.messages) == [["admin@riga.lv.example"], ["user@riga.lv.example"]]
    for mail in smtp_server.messages:
        assert mail["subject"] == "Ikgadējā IMI sanāksme"
        assert "Sanāksme notiks 3. decembrī." in mail["body"]


def test_compose_in_latvian_on_a_narrow_screen(server, chromium, screenshot):
    context = chromium.new_context(locale="lv-LV", viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(server.url + "/login")
        page.locator("#username").fill("nimic.admin")
        page.locator("#password").fill(Factory.PASSWORD)
        page.locator("button[type=submit].primary").click()
        page.locator(".language-switch button[value=lv]").click()
        page.goto(server.url + "/mailing/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Nosūtīt e-pastu")
        expect(page.locator("#mail-authorities")).to_contain_text("Kritērijiem atbilst 3 iestādes")
        screenshot(page, "send-email-compose-lv-narrow")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sticks out
    finally:
        context.close()
