"""Invitation to self-register, end to end in Chromium with the real SMTP server (R-2.2).

An access manager invites an authority; the invited person opens the link from the mail
received by the SMTP server, fills in the form (in the invitation's language, switched to
English), and sees the username; the access manager's notification mail arrives; under
"My tasks" → "For validation" the access manager corrects a field and validates, landing on
the new authority's tab "Modules" (step 4), and grants a module; the first user's mail has a
temporary password and no username; the first user logs in, changes the password and sees
the module granted. A second test rejects a registration in the browser.
"""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from imi_web.extensions import db
from imi_web.outbox import deliver_pending
from imi_web.models import Authority, AuthorityStatus, ClassificationEntry, ClassificationList
from tests.conftest import Factory

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Dzintars-2024"


@pytest.fixture
def server(make_live_server, smtp_server):
    server = make_live_server(**smtp_server.config())
    # Links in mails come from BASE_URL: here, the live server's own address.
    server.app.config["BASE_URL"] = server.url
    with server.app_context():
        factory = Factory(db)
        nimic = factory.nimic("LV")
        factory.user(nimic, username="nimic.admin", is_admin=True, first_name="Līga", surname="Ozoliņa")
        general = ClassificationList(code="FIELDS", name_lv="Kompetences jomas", name_en="Fields of competence")
        general.entries = [ClassificationEntry(code="BUILD", name_lv="Būvniecība", name_en="Construction")]
        db.session.add(general)
        svc = factory.module("SVC")
        svc.name_en = "Services"
        factory.commit()
    return server


def deliver(server, smtp_server, expected: int) -> list[dict]:
    before = len(smtp_server.messages)
    with server.app_context():
        assert deliver_pending() == {"sent": expected, "failed": 0}
    return smtp_server.messages[before:]


def log_in(page, server, username, password):
    page.goto(server.url + "/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def invite(page, server, smtp_server, screenshot=None, email="kontakti@cesis.lv.example") -> str:
    """As the access manager: send an invitation; return the link from the mail received."""
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Registration invitations").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Registration invitations")
    page.get_by_role("link", name="New invitation").click()
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Suggested authority name").fill("Cēsu novada būvvalde")
    page.get_by_label("Language of the invitation").select_option("lv")
    page.get_by_label("Message (optional)").fill("Lūdzu, reģistrējiet savu iestādi līdz mēneša beigām.")
    if screenshot:
        screenshot(page, "invitation-new")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".flash-success")).to_contain_text(f"The invitation has been sent to {email}.")
    row = page.locator("tr", has_text=email)
    expect(row).to_contain_text("sent")
    [mail] = deliver(server, smtp_server, 1)
    assert mail["to"] == [email]
    assert "reģistrēt jūsu iestādi" in mail["subject"]
    return re.search(r"(http://\S+/register/\S+)", mail["body"]).group(1)


def test_invite_register_validate_log_in(server, smtp_server, page, chromium, browser_context_args, console, screenshot):
    log_in(page, server, "nimic.admin", Factory.PASSWORD)
    link = invite(page, server, smtp_server, screenshot)
    assert link.startswith(server.url + "/register/")
    screenshot(page, "invitations-list")

    # The invited person, in a browser of their own, opens the link from the mail.
    applicant_context = chromium.new_context(**browser_context_args)
    applicant = applicant_context.new_page()
    applicant.on("console", console.on_console)
    applicant.goto(link)
    # The token leaves the address bar; the form is in the invitation's language (lv).
    expect(applicant).to_have_url(server.url + "/register/")
    expect(applicant.locator("html")).to_have_attribute("lang", "lv")
    expect(applicant.get_by_role("heading", level=1)).to_have_text("Reģistrējiet savu iestādi")
    expect(applicant.locator("#official_name")).to_have_value("Cēsu novada būvvalde")
    screenshot(applicant, "self-registration-lv")
    # The language switch: English.
    applicant.locator(".language-switch button[value=en]").click()
    expect(applicant.locator("html")).to_have_attribute("lang", "en")
    expect(applicant).to_have_url(server.url + "/register/")
    expect(applicant.get_by_role("heading", level=1)).to_have_text("Register your authority")
    expect(applicant.get_by_role("heading", name="Message from the inviting authority")).to_be_visible()
    applicant.fill("#informal_name", "Būvvalde Cēsīs")
    applicant.fill("#phone", "+371 64100000")
    applicant.fill("#email", "buvvalde@cesis.lv.example")
    applicant.fill("#street_address", "Raunas iela 4")
    applicant.fill("#postal_code", "LV-4101")
    applicant.fill("#city", "Cēsis")
    applicant.get_by_label("Construction").check()
    applicant.fill("#first_name", "Ilze")
    applicant.fill("#surname", "Liepiņa")
    applicant.fill("#user_email", "ilze.liepina@cesis.lv.example")
    applicant.select_option("#user_language", "en")
    applicant.get_by_role("button", name="Send the registration").click()
    expect(applicant.get_by_role("heading", level=1)).to_have_text("Registration received")
    username = applicant.locator("strong.username").inner_text()
    assert username == "iliepina"
    screenshot(applicant, "self-registration-done")
    # The link is single-use: opened again, it gets the one message.
    console.expect_status(404)
    applicant.goto(link)
    expect(applicant.get_by_role("heading", level=1)).to_have_text("Registration link not valid")
    applicant_context.close()

    # The access manager's notification mail: no username, a link to the registration.
    [notice] = deliver(server, smtp_server, 1)
    assert "An authority you invited" in notice["body"] or "Jūsu uzaicinātā iestāde" in notice["body"]
    assert username not in notice["message"].as_string()
    validation_link = re.search(r"(http://\S+/validation/\d+)", notice["body"]).group(1)

    # "My tasks" → "For validation", with the count in the menu.
    page.reload()
    menu = page.get_by_role("navigation", name="Main menu")
    expect(menu.get_by_role("link", name="For validation")).to_contain_text("1")
    menu.get_by_role("link", name="For validation").click()
    expect(page.locator("main")).to_contain_text("1 registration awaiting validation")
    page.get_by_role("link", name="Cēsu novada būvvalde").click()
    assert page.url == validation_link
    expect(page.locator("#duplicates")).to_contain_text("No likely duplicate")
    # Correct a field, then validate.
    page.fill("#informal_name", "Cēsu būvvalde")
    screenshot(page, "validation-review")
    page.get_by_role("button", name="Save and validate").click()
    # Step 4: the new authority's tab "Modules".
    expect(page).to_have_url(re.compile(r"/authorities/\d+/modules$"))
    expect(page.get_by_role("tab", name="Modules")).to_have_attribute("aria-selected", "true")
    expect(page.locator(".flash-success")).to_contain_text("is validated and active")
    expect(menu.get_by_role("link", name="For validation")).not_to_contain_text("1")
    page.get_by_role("link", name="SVC — Services").click()
    page.get_by_role("radio", name="coordinator").check()
    page.get_by_role("button", name="Grant access").click()
    expect(page.locator(".module-row", has_text="SVC — Services")).to_contain_text("coordinator")
    screenshot(page, "validated-modules-tab")
    with server.app_context():
        authority = db.session.scalar(sa.select(Authority).where(Authority.official_name == "Cēsu novada būvvalde"))
        assert authority.status == AuthorityStatus.ACTIVE and authority.informal_name == "Cēsu būvvalde"

    # The first user's mail: a temporary password, never the username.
    [mail] = deliver(server, smtp_server, 1)
    assert mail["to"] == ["ilze.liepina@cesis.lv.example"]
    assert username not in mail["message"].as_string()
    password = mail["body"].split("Your temporary password: ")[1].split()[0]

    # The first user logs in, must change the password, and has the module granted.
    user_context = chromium.new_context(**browser_context_args)
    user_page = user_context.new_page()
    user_page.on("console", console.on_console)
    log_in(user_page, server, username, password)
    expect(user_page).to_have_url(server.url + "/account/password")
    user_page.locator("#current_password").fill(password)
    user_page.locator("#new_password").fill(NEW_PASSWORD)
    user_page.locator("#repeat_password").fill(NEW_PASSWORD)
    user_page.locator("main form button[type=submit]").click()
    expect(user_page).to_have_url(server.url + "/")
    expect(user_page.locator("main")).to_contain_text("Services")
    screenshot(user_page, "first-user-home")
    user_context.close()
    assert console.csp_violations == []


def test_reject_in_the_browser(server, smtp_server, page, chromium, browser_context_args, console, screenshot):
    console.expect_status(422)
    log_in(page, server, "nimic.admin", Factory.PASSWORD)
    link = invite(page, server, smtp_server, email="pieteicejs@valka.lv.example")
    applicant_context = chromium.new_context(**browser_context_args)
    applicant = applicant_context.new_page()
    applicant.goto(link)
    applicant.locator(".language-switch button[value=en]").click()
    applicant.fill("#official_name", "Valkas novada būvvalde")
    applicant.fill("#informal_name", "Būvvalde Valkā")
    applicant.fill("#phone", "+371 64700000")
    applicant.fill("#email", "buvvalde@valka.lv.example")
    applicant.fill("#street_address", "Rīgas iela 22")
    applicant.fill("#postal_code", "LV-4701")
    applicant.fill("#city", "Valka")
    applicant.fill("#first_name", "Pēteris")
    applicant.fill("#surname", "Kalns")
    applicant.fill("#user_email", "pieteicejs@valka.lv.example")
    applicant.get_by_role("button", name="Send the registration").click()
    expect(applicant.get_by_role("heading", level=1)).to_have_text("Registration received")
    applicant_context.close()
    deliver(server, smtp_server, 1)

    page.goto(server.url + "/validation/")
    page.get_by_role("link", name="Valkas novada būvvalde").click()
    # Without a reason: the message beside the field.
    page.get_by_role("button", name="Reject", exact=True).click()
    expect(page.locator("#reason-error")).to_have_text("Give the reason for the rejection.")
    expect(page.locator("#reason")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "validation-reject-error")
    page.get_by_label("Reason for the rejection").fill("Iestāde jau ir reģistrēta kā Valkas novada pašvaldība.")
    page.get_by_role("button", name="Reject", exact=True).click()
    expect(page.locator(".flash-success")).to_contain_text("has been rejected")
    expect(page.locator("main")).to_contain_text("No registration is awaiting validation.")
    [mail] = deliver(server, smtp_server, 1)
    assert mail["to"] == ["pieteicejs@valka.lv.example"]
    assert "Iestāde jau ir reģistrēta kā Valkas novada pašvaldība." in mail["body"]
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Registration invitations").click()
    expect(page.locator("tr", has_text="pieteicejs@valka.lv.example")).to_contain_text("rejected")
    assert console.csp_violations == []


def test_resend_and_revoke_in_the_browser(server, smtp_server, page, chromium, browser_context_args, console, screenshot):
    console.expect_status(404)
    log_in(page, server, "nimic.admin", Factory.PASSWORD)
    old_link = invite(page, server, smtp_server, email="atkartoti@x.lv.example")
    row = page.locator("tr", has_text="atkartoti@x.lv.example")
    # "Send again" (htmx): the row is replaced, says what happened and takes the focus.
    row.get_by_role("button", name=re.compile("^Send again")).click()
    expect(row.locator(".row-message")).to_contain_text("the old link no longer works")
    expect(row).to_be_focused()
    [mail] = deliver(server, smtp_server, 1)
    new_link = re.search(r"(http://\S+/register/\S+)", mail["body"]).group(1)
    assert new_link != old_link
    screenshot(page, "invitations-resent")
    visitor_context = chromium.new_context(**browser_context_args)
    visitor = visitor_context.new_page()
    visitor.on("console", console.on_console)
    visitor.goto(old_link)
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Registration link not valid")
    screenshot(visitor, "invitation-link-not-valid")
    # Revoke: the new link stops working too.
    row.get_by_role("link", name=re.compile("^Revoke")).click()
    expect(row).to_contain_text("Revoke the invitation to")  # asked first
    row.locator("form.confirm").get_by_role("button", name="Revoke").click()
    expect(row.locator(".status")).to_have_text("revoked")
    expect(row.get_by_role("button")).to_have_count(0)
    visitor.goto(new_link)
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Registration link not valid")
    visitor_context.close()
    # The filter (htmx): only revoked ones.
    page.get_by_label("Status").select_option("revoked")
    expect(page).to_have_url(re.compile(r"status=revoked"))
    expect(page.locator("#invitation-list")).to_contain_text("1 invitation")
    # In Latvian: the glossary's terms.
    page.locator(".language-switch button[value=lv]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Uzaicinājumi reģistrēties")
    expect(page.locator("tr", has_text="atkartoti@x.lv.example").locator(".status")).to_have_text("atsaukts")
    expect(page.get_by_role("navigation").get_by_role("link", name="Validēšanai")).to_be_visible()
    screenshot(page, "invitations-list-lv")
    assert console.csp_violations == []
