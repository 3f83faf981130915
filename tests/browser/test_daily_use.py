"""An official's day on the demo data, at 320 px, in Latvian and in English (issue 18).

Every page state these tests reach is checked by axe-core and the Nu HTML checker (the
``page`` fixture, tests/fixtures/accessibility.py); here they also check what a person would
notice: no sideways scrolling, the confirmation after a save, a confirmation before a
suspension or a revocation, the error summary taking focus, the count announced in the status
region that stays in the page, a title per tab, Space on a tab.
"""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from imi_web.demo import DEMO_PASSWORD, load_demo
from imi_web.extensions import db
from imi_web.models import AccessStatus, Authority, AuthorityStatus, Invitation, InvitationStatus, ModuleAccess, User, utcnow

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 720}
HEADINGS = {
    "lv": {"error": "Kļūda", "summary": "Ir kļūda", "users": "Lietotāji", "modules": "Moduļi"},
    "en": {"error": "Error", "summary": "There is a problem", "users": "Users", "modules": "Modules"},
}


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """One live server over the demo data for the module's tests (the data is read more than written)."""
    from imi_web import create_app
    from tests.conftest import TEST_CONFIG
    from tests.fixtures.browser import LiveServer

    database = tmp_path_factory.mktemp("daily") / "demo.sqlite3"
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "SESSION_COOKIE_SECURE": False})
    with app.app_context():
        db.create_all()
        load_demo()
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def browser_context_args():
    return {"viewport": NARROW, "locale": "lv-LV"}


def overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def too_wide(page) -> list[str]:
    """The innermost elements that reach past the right edge (for the failure message)."""
    return page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          return [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > width + 0.5 )
            .filter(el => ![...el.children].some(c => c.getBoundingClientRect().right > width + 0.5))
            .slice(0, 8)
            .map(el => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${[...el.classList].join('.')} `
                       + `right=${Math.round(el.getBoundingClientRect().right)}: ${el.textContent.trim().slice(0, 50)}`);
        }"""
    )


def log_in(page, server, language, username="demo.nimic"):
    page.goto(server.url + "/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/$"))
    if page.locator("html").get_attribute("lang") != language:
        page.locator(f".language-switch button[value={language}]").click()
        expect(page.locator("html")).to_have_attribute("lang", language)


def live_status(page) -> str:
    return page.locator("#live-status").inner_text().strip()


def busy_authority(app) -> Authority:
    """An active authority of Latvia with several users and an active module access."""
    return db.session.scalar(
        sa.select(Authority)
        .join(ModuleAccess, ModuleAccess.authority_id == Authority.id)
        .join(User, User.authority_id == Authority.id)
        .where(Authority.status == AuthorityStatus.ACTIVE, Authority.is_nimic.is_(False), ModuleAccess.status == AccessStatus.ACTIVE)
        .where(Authority.country.has(code="LV"))
        .group_by(Authority.id)
        .having(sa.func.count(sa.distinct(User.id)) >= 3)
        .order_by(Authority.id)
        .limit(1)
    )


@pytest.mark.parametrize("language", ["lv", "en"])
def test_pages_fit_320_px_and_searches_announce_their_count(demo_server, page, language, screenshot):
    with demo_server.app_context():
        authority = busy_authority(demo_server.app)
        user = db.session.scalar(sa.select(User).where(User.authority_id == authority.id).order_by(User.id))
        without = db.session.scalar(sa.select(ModuleAccess.module_id).limit(1))
        ids = authority.id, user.id
    log_in(page, demo_server, language)
    assert overflow(page) == 0, f"My profile: {too_wide(page)}"

    pages = {
        "managed": "/authorities/",
        "without-module": f"/authorities/?without_module={without}&mine=no",
        "users-tab": f"/authorities/{ids[0]}/users",
        "rights-form": f"/authorities/{ids[0]}/users/{ids[1]}/rights",
        "management": f"/authorities/{ids[0]}/management",
        "invitations": "/invitations/",
        "send-email": "/mailing/",
        "directory": "/directory/",
        "register-authority": "/authorities/new",
    }
    for name, path in pages.items():
        page.goto(demo_server.url + path)
        assert overflow(page) == 0, f"{name} scrolls sideways at 320 px ({language}): {too_wide(page)}"
        screenshot(page, f"daily-320-{language}-{name}")

    # The managed search: the count is announced in the status region that stays in the page.
    page.goto(demo_server.url + "/authorities/?mine=no")
    page.locator("#q").fill("būv")
    expect(page.locator("#live-status")).not_to_have_text("")
    assert re.search(r"\d", live_status(page)), live_status(page)
    assert live_status(page) == page.locator("#results-title").inner_text().strip()

    # The invitations filter announces its count too.
    page.goto(demo_server.url + "/invitations/")
    status_filter = page.locator("select[name=status]")
    if status_filter.count():
        status_filter.select_option(index=1)
        expect(page.locator("#live-status")).not_to_have_text("")
        assert live_status(page) == page.locator("#invitation-list-title").inner_text().strip()


@pytest.mark.parametrize("language", ["lv", "en"])
def test_a_refused_form_puts_focus_on_its_error_summary(demo_server, page, console, language):
    console.expect_status(422)
    log_in(page, demo_server, language)
    page.goto(demo_server.url + "/authorities/new")
    page.locator("main form.wide-form button[type=submit]").last.click()
    page.wait_for_selector(".error-summary")
    assert page.title().startswith(HEADINGS[language]["error"] + ":")
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert page.locator(".error-summary h2").inner_text() == HEADINGS[language]["summary"]
    # Each problem links to its field.
    first = page.locator(".error-summary a").first
    target = first.get_attribute("href")
    first.click()
    assert page.evaluate("document.activeElement.id") == target.lstrip("#")


@pytest.mark.parametrize("language", ["lv", "en"])
def test_tabs_have_their_own_titles_and_space_opens_one(demo_server, page, language):
    with demo_server.app_context():
        authority_id = busy_authority(demo_server.app).id
    log_in(page, demo_server, language)
    page.goto(f"{demo_server.url}/authorities/{authority_id}/authority")
    page.locator("#tab-authority").focus()
    page.keyboard.press("ArrowRight")  # Classification
    page.keyboard.press("ArrowRight")  # Modules
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(r".*/modules$"))
    expect(page).to_have_title(re.compile("^" + HEADINGS[language]["modules"]))
    expect(page.locator("#tab-modules")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#tab-panel")).to_be_focused()  # settled
    page.locator("#tab-users").focus()
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(r".*/users$"))
    expect(page).to_have_title(re.compile("^" + HEADINGS[language]["users"]))


def test_saves_are_confirmed_and_suspension_asks_first(demo_server, page, console):
    console.expect_status(422)
    with demo_server.app_context():
        authority = busy_authority(demo_server.app)
        access = db.session.scalar(
            sa.select(ModuleAccess).where(
                ModuleAccess.authority_id == authority.id, ModuleAccess.status == AccessStatus.ACTIVE
            )
        )
        authority_id, access_id, code = authority.id, access.id, access.module.code
    log_in(page, demo_server, "en")
    page.goto(f"{demo_server.url}/authorities/{authority_id}/authority/edit")  # edit mode
    page.goto(f"{demo_server.url}/authorities/{authority_id}/modules")

    # An inline edit of the module access, saved: the row says so.
    row = page.locator(f"#module-access-{access_id}")
    row.get_by_role("link", name=re.compile("^Edit")).click()
    page.locator(f"#module-access-{access_id} form button[type=submit]").first.click()
    expect_text(row, f"The changes to module {code} have been saved.")
    expect(page.locator("#live-status")).to_have_text(f"The changes to module {code} have been saved.")

    # Suspending asks first; Cancel leaves the access active.
    row.get_by_role("link", name=re.compile("^Suspend access")).click()
    expect_text(row, f"Suspend access to module {code}?")
    row.get_by_role("link", name="Cancel").click()
    page.wait_for_selector(f"#module-access-{access_id} >> text=Suspend access")
    with demo_server.app_context():
        assert db.session.get(ModuleAccess, access_id).status == AccessStatus.ACTIVE
    row.get_by_role("link", name=re.compile("^Suspend access")).click()
    row.locator("form.confirm button[type=submit]").click()
    expect_text(row, f"Access to module {code} has been suspended.")
    with demo_server.app_context():
        assert db.session.get(ModuleAccess, access_id).status == AccessStatus.SUSPENDED
    row.get_by_role("button", name=re.compile("^Restore access")).click()
    expect_text(row, f"Access to module {code} has been restored.")

    # The authority's details, saved: confirmed above the tabs.
    page.goto(f"{demo_server.url}/authorities/{authority_id}/authority/edit")
    page.locator("main form.wide-form button[type=submit]").click()
    expect_text(page.locator("#authority-tabs"), "The authority's details have been saved.")


def test_granting_a_module_leaves_the_tab_address(demo_server, page):
    with demo_server.app_context():
        authority = busy_authority(demo_server.app)
        authority_id = authority.id
    log_in(page, demo_server, "en")
    page.goto(f"{demo_server.url}/authorities/{authority_id}/authority/edit")
    page.goto(f"{demo_server.url}/authorities/{authority_id}/modules")
    grant = page.locator("#grant-form a.button")
    if not grant.count():
        pytest.skip("the demo authority has every module already")
    grant.first.click()
    page.wait_for_selector("#grant-form form")
    linked = page.locator("#grant-form select[name=linked_coordinator]")
    if linked.count() and linked.locator("option").count() > 1:
        linked.select_option(index=1)
    page.locator("#grant-form button[type=submit]").click()
    page.wait_for_selector("#authority-tabs .flash-success")
    assert "has been granted" in page.locator("#authority-tabs .flash-success").inner_text()
    assert page.url == f"{demo_server.url}/authorities/{authority_id}/modules"
    page.reload()
    assert page.locator("h1").first.inner_text() != "You may not do this"


def test_revoking_an_invitation_asks_first(demo_server, page):
    with demo_server.app_context():
        invitation = db.session.scalar(
            sa.select(Invitation)
            .join(User, User.authority_id == Invitation.inviting_authority_id)
            .where(Invitation.status == InvitationStatus.SENT, User.username == "demo.nimic")
            .where(Invitation.expires_at > utcnow())
            .order_by(Invitation.expires_at.desc())
        )
        if invitation is None:
            pytest.skip("no open invitation in the demo data")
        invitation_id, email = invitation.id, invitation.email
    log_in(page, demo_server, "en")
    page.goto(demo_server.url + "/invitations/")
    row = page.locator(f"#invitation-{invitation_id}")
    row.get_by_role("link", name=re.compile("^Revoke")).click()
    expect_text(row, f"Revoke the invitation to {email}?")
    with demo_server.app_context():
        assert db.session.get(Invitation, invitation_id).status == InvitationStatus.SENT
    row.locator("form.confirm button[type=submit]").click()
    expect_text(page.locator(f"#invitation-{invitation_id}"), f"The invitation to {email} has been revoked.")


def expect_text(locator, text: str):
    expect(locator).to_contain_text(text)


@pytest.mark.parametrize("language", ["lv", "en"])
def test_an_htmx_form_with_errors_puts_focus_on_its_alert(demo_server, page, console, language):
    """"Register user" is sent by htmx: the refused form comes back with its error summary,
    which is an alert and takes focus (not the heading, silently)."""
    console.expect_status(422)
    with demo_server.app_context():
        authority_id = busy_authority(demo_server.app).id
    log_in(page, demo_server, language)
    page.goto(f"{demo_server.url}/authorities/{authority_id}/users")
    page.locator("#tab-panel a.button[href$='/users/new']").click()
    page.wait_for_selector("#new-user form")
    page.locator("#new-user form button[type=submit]").click()
    summary = page.locator("#new-user .error-summary")
    expect(summary).to_be_focused()
    assert summary.get_attribute("role") == "alert"
    expect(page.locator("#first_name-error")).to_be_visible()
