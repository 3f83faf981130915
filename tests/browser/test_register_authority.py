"""An access manager registers an authority and grants it modules, in Chromium (R-2.1, R-3.1, R-3.3).

The whole path of issue 3: register with a first user and see the username on screen, the
mail (real SMTP) with the temporary password and no username, grant one module as
coordinator and one as authority with a linked coordinator, edit a row inline, be refused a
role change while access is active, suspend and restore, and switch tabs with htmx and with
the address bar.
"""

import re

import pytest
from playwright.sync_api import expect

from imi_web.extensions import db
from imi_web.outbox import deliver_pending
from imi_web.models import ClassificationEntry, ClassificationList, ModuleAccess, ModuleRole
from tests.conftest import Factory

pytestmark = pytest.mark.browser


@pytest.fixture
def server(make_live_server, smtp_server):
    server = make_live_server(**smtp_server.config())
    with server.app_context():
        factory = Factory(db)
        nimic = factory.nimic("LV")
        factory.user(nimic, username="nimic.admin", is_admin=True, first_name="Līga", surname="Ozoliņa")
        general = ClassificationList(code="FIELDS", name_lv="Kompetences jomas", name_en="Fields of competence")
        general.entries = [ClassificationEntry(code="BUILD", name_lv="Būvniecība", name_en="Construction")]
        db.session.add(general)
        pq = factory.module("PQ", is_information_request=True, linked_coordinator_required=True)
        pq.name_en = "Professional qualifications"
        db.session.add(
            ClassificationList(
                code="PQ", name_lv="Profesijas", name_en="Professions", module=pq,
                entries=[
                    ClassificationEntry(code="DOC", name_lv="Ārsti", name_en="Doctors", position=0),
                    ClassificationEntry(code="ARCH", name_lv="Arhitekti", name_en="Architects", position=1),
                ],
            )
        )
        svc = factory.module("SVC")
        svc.name_en = "Services"
        coordinator = factory.authority(name="Veselības inspekcija")
        db.session.add(ModuleAccess(authority=coordinator, module=pq, role=ModuleRole.COORDINATOR))
        factory.commit()
    return server


def test_register_grant_edit_suspend_restore(server, smtp_server, page, console, screenshot):
    console.expect_status(422)
    page.goto(server.url + "/login")
    page.get_by_label("Username").fill("nimic.admin")
    page.get_by_label("Password").fill(Factory.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Register authority").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Register authority")

    # Step 1: the authority and its first user.
    page.fill("#official_name", "Rīgas pilsētas būvvalde")
    page.fill("#informal_name", "Būvvalde")
    page.fill("#phone", "+371 67012345")
    page.fill("#email", "info@buvvalde.lv.example")
    page.fill("#website", "https://www.buvvalde.lv.example")
    page.fill("#street_address", "Amatu iela 4")
    page.fill("#postal_code", "LV-1050")
    page.fill("#city", "Rīga")
    page.get_by_label("Construction").check()
    page.fill("#first_name", "Anna")
    page.fill("#surname", "Ozola")
    page.fill("#user_email", "anna.ozola@buvvalde.lv.example")
    page.select_option("#user_language", "en")
    screenshot(page, "register-authority")
    page.get_by_role("button", name="Register authority").click()

    # The username on screen; the temporary password only by mail.
    notice = page.locator(".flash-username")
    expect(notice).to_contain_text("never sent by e-mail")
    username = re.search(r"first user is (\S+)\. ", notice.inner_text()).group(1)
    assert username == "aozola"
    expect(page).to_have_url(re.compile(r"/authorities/\d+/modules$"))
    with server.app_context():
        assert deliver_pending() == {"sent": 1, "failed": 0}
    mail = smtp_server.messages[-1]
    assert mail["to"] == ["anna.ozola@buvvalde.lv.example"]
    assert "Your temporary password: " in mail["body"]
    assert username not in mail["message"].as_string()
    password = mail["body"].split("Your temporary password: ")[1].split()[0]
    assert password not in page.content()

    # Grant SVC as coordinator.
    page.get_by_role("link", name="SVC — Services").click()
    expect(page.get_by_role("heading", name="Grant access to SVC — Services")).to_be_focused()
    page.get_by_role("radio", name="coordinator").check()
    page.get_by_role("button", name="Grant access").click()
    svc_row = page.locator(".module-row", has_text="SVC — Services")
    expect(svc_row).to_contain_text("coordinator")

    # Grant PQ as authority: first without the required linked coordinator (refused), then with it.
    page.get_by_role("link", name="PQ — Professional qualifications").click()
    page.get_by_role("radio", name="authority").check()
    page.get_by_label("Doctors").check()
    page.get_by_role("button", name="Grant access").click()
    expect(page.locator("#linked_coordinator-error")).to_contain_text("needs a linked coordinator")
    page.select_option("#linked_coordinator", label="Veselības inspekcija")
    page.get_by_label("May refuse requests").check()
    page.get_by_role("button", name="Grant access").click()
    pq_row = page.locator(".module-row", has_text="PQ — Professional qualifications")
    expect(pq_row).to_contain_text("Veselības inspekcija")
    expect(pq_row).to_contain_text("Doctors")
    screenshot(page, "modules-tab")

    # Edit the PQ row inline: a role change is refused while access is active …
    pq_row.get_by_role("link", name=re.compile("^Edit")).click()
    editing = page.locator(".module-row.editing")
    expect(editing.get_by_role("heading")).to_be_focused()
    editing.get_by_role("radio", name="coordinator").check()
    editing.get_by_role("button", name="Save").click()
    expect(page.locator(".module-row.editing")).to_contain_text("Suspend access to the module before you change")
    # … while the classification can change.
    editing = page.locator(".module-row.editing")
    editing.get_by_role("radio", name="authority").check()
    editing.get_by_label("Architects").check()
    editing.get_by_role("button", name="Save").click()
    expect(pq_row).to_contain_text("Doctors, Architects")
    expect(page.locator(".module-row.editing")).to_have_count(0)

    # Suspend and restore.
    pq_row.get_by_role("link", name=re.compile("^Suspend access")).click()
    pq_row.locator("form.confirm").get_by_role("button", name="Suspend access").click()
    expect(pq_row).to_contain_text("suspended")
    pq_row.get_by_role("button", name=re.compile("^Restore access")).click()
    expect(pq_row.get_by_role("link", name=re.compile("^Suspend access"))).to_be_visible()

    # Tabs: htmx swaps and pushes the URL; the address bar renders the same tab.
    page.get_by_role("tab", name="Management details").click()
    expect(page).to_have_url(re.compile(r"/authorities/\d+/management$"))
    expect(page.get_by_role("tab", name="Management details")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#tab-panel")).to_be_focused()
    history = page.locator("table.history")
    expect(history).to_contain_text("Access to a module suspended")
    expect(history).to_contain_text("Access to a module restored")
    expect(history).to_contain_text("Līga Ozoliņa")
    page.get_by_role("tab", name="Management details").focus()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("tab", name="Users")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/authorities/\d+/users$"))
    expect(page.locator("#tab-panel table")).to_contain_text(username)
    users_url = page.url
    page.goto(users_url)
    expect(page.get_by_role("tab", name="Users")).to_have_attribute("aria-selected", "true")
    screenshot(page, "users-tab")

    # Edit authority: the form replaces the tab's panel; saving shows the new data.
    page.get_by_role("tab", name="Authority").click()
    page.get_by_role("link", name="Edit authority").click()
    expect(page.get_by_role("heading", name="Edit authority")).to_be_focused()
    page.fill("#informal_name", "Būvvalde — būvniecības uzraudzība Rīgā")
    screenshot(page, "edit-authority")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#tab-panel")).to_contain_text("Būvvalde — būvniecības uzraudzība Rīgā")
    expect(page.get_by_role("link", name="Edit authority")).to_be_visible()
