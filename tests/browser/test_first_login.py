"""A new user's first login in Chromium (R-2.1.2, R-3.8, R-6.3).

The user is registered by the real operation; the temporary password comes through the
outbox and a real SMTP server. In the browser: log in, be held on the forced password change,
break a rule and read the message beside the field, choose a good password, switch the
language both ways, log out. Along the way: the skip link, no console errors, no CSP
violations, and screenshots in test-artifacts/screenshots/.

Texts are compared with what the app's own catalog says in that language, so the test holds
whether or not a Latvian translation exists yet.
"""

import re
from urllib.parse import urlsplit

import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import expect

from imi_web.extensions import db
from imi_web.outbox import deliver_pending
from imi_web.users.operations import register_user
from tests.conftest import Factory

pytestmark = pytest.mark.browser

FIRST_NAME = "Jānis"
EMAIL = "janis.berzins@example.lv"
GOOD_PASSWORD = "Dzintars-2024"
NO_UPPER_CASE = "dzintars-2024"


@pytest.fixture
def server(make_live_server, smtp_server):
    """The app on a live server, sending its mail to the test's SMTP server."""
    return make_live_server(**smtp_server.config())


@pytest.fixture
def new_user(server, smtp_server):
    """Register a Latvian-speaking user; return (username, temporary password from the mail)."""
    with server.app_context():
        authority = Factory(db).authority(name="Rīgas pilsētas būvvalde")
        user, issued = register_user(
            authority, actor=None, first_name=FIRST_NAME, surname="Bērziņš", email=EMAIL, language="lv"
        )
        db.session.commit()
        username = user.username
        assert deliver_pending() == {"sent": 1, "failed": 0}
    mail = smtp_server.messages[-1]
    assert mail["to"] == [EMAIL]
    # the username never travels by mail.
    assert username.lower() not in (mail["subject"] + mail["body"]).lower()
    password = temporary_password_in(mail["body"])
    assert password == issued
    return username, password


def temporary_password_in(body: str) -> str:
    """The temporary password: the value of a ``label: value`` line that meets the rules."""
    for value in re.findall(r"^[^:\n]+:\s*(\S+)\s*$", body, re.MULTILINE):
        if (
            len(value) >= 8
            and any(c.isupper() for c in value)
            and any(c.islower() for c in value)
            and any(c.isdigit() for c in value)
            and "/" not in value
        ):
            return value
    raise AssertionError(f"no temporary password in the mail:\n{body}")


def say(app, language: str, message: str, **variables) -> str:
    """``message`` as the app shows it in ``language`` (the msgid where not translated yet)."""
    with app.test_request_context(), force_locale(language):
        return gettext(message, **variables)


def path_of(page) -> str:
    parts = urlsplit(page.url)
    return parts.path + ("?" + parts.query if parts.query else "")


def press(button):
    """Click a button that posts its form; return the response to the POST."""
    with button.page.expect_response(lambda r: r.request.method == "POST") as response:
        button.click()
    button.page.wait_for_load_state()
    return response.value


def test_first_login(server, new_user, page, console, screenshot):
    app = server.app
    username, temporary_password = new_user
    html = page.locator("html")
    console.expect_status(422)  # the refused password form answers 422 Unprocessable Content

    # The login page, in the browser's language (en-GB).
    page.goto(server.url + "/login")
    expect(html).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text(say(app, "en", "Log in"))

    # Keyboard: the skip link is the first Tab stop, visible when focused, and leads to main;
    # the next Tab stop is the first field of the form.
    page.keyboard.press("Tab")
    skip_link = page.locator("a.skip-link")
    expect(skip_link).to_be_focused()
    box = skip_link.bounding_box()
    assert box is not None and box["y"] >= 0 and box["height"] > 0, box
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#username")).to_be_focused()
    screenshot(page, "login")

    # Log in with the temporary password: the account's language (lv) takes over.
    page.locator("#username").fill(username)
    page.locator("#password").fill(temporary_password)
    press(page.locator("main form button[type=submit]"))
    page.wait_for_url(server.url + "/account/password")
    expect(html).to_have_attribute("lang", "lv")
    expect(page.locator("main .flash-warning[role=alert]")).to_be_visible()

    # Every other page leads back to the change form.
    page.goto(server.url + "/")
    assert path_of(page) == "/account/password"

    # A password breaking a rule: the message stands beside the new-password field.
    page.locator("#current_password").fill(temporary_password)
    page.locator("#new_password").fill(NO_UPPER_CASE)
    page.locator("#repeat_password").fill(NO_UPPER_CASE)
    assert press(page.locator("main form button[type=submit]")).status == 422
    assert path_of(page) == "/account/password"
    new_password_field = page.locator(".field.has-error").filter(has=page.locator("#new_password"))
    expect(new_password_field.locator("#new_password-error li")).to_have_text(
        [say(app, "lv", "The password must contain at least one upper-case letter.")]
    )
    new_password = page.locator("#new_password")
    expect(new_password).to_have_attribute("aria-invalid", "true")
    described_by = new_password.get_attribute("aria-describedby").split()
    assert {"new_password-error", "password-rules"} <= set(described_by)
    expect(page.locator("#current_password")).not_to_have_attribute("aria-invalid", "true")
    screenshot(page, "change-password-errors")

    # A good password: the home page, in Latvian.
    page.locator("#current_password").fill(temporary_password)
    page.locator("#new_password").fill(GOOD_PASSWORD)
    page.locator("#repeat_password").fill(GOOD_PASSWORD)
    assert press(page.locator("main form button[type=submit]")).status == 303  # to the home page
    page.wait_for_url(server.url + "/")
    expect(page.locator("main .flash-success")).to_be_visible()

    # Expected texts come from the catalog: they differ between lv and en once lv translates them.
    welcome = {language: say(app, language, "Welcome, %(name)s", name=FIRST_NAME) for language in ("lv", "en")}
    language_button = {language: page.locator(f".language-switch button[value={language}]") for language in ("lv", "en")}

    def expect_language(language: str):
        other = "en" if language == "lv" else "lv"
        expect(html).to_have_attribute("lang", language)
        expect(language_button[language]).to_have_attribute("aria-pressed", "true")
        expect(language_button[other]).to_have_attribute("aria-pressed", "false")
        expect(page.locator("main h1")).to_have_text(welcome[language])

    expect_language("lv")
    screenshot(page, "home-lv")

    # The language switch, both ways; the page stays the same.
    press(language_button["en"])
    page.wait_for_url(server.url + "/")
    expect_language("en")
    screenshot(page, "home-en")
    press(language_button["lv"])
    page.wait_for_url(server.url + "/")
    expect_language("lv")

    # Log out (a POST button): the login page, still in the chosen language.
    press(page.locator(".account form button[type=submit]"))
    page.wait_for_url(server.url + "/login")
    expect(html).to_have_attribute("lang", "lv")
    expect(page.locator("h1")).to_have_text(say(app, "lv", "Log in"))
    expect(page.locator("main .flash-info")).to_have_text(say(app, "lv", "You have logged out."))
    page.goto(server.url + "/")
    assert path_of(page).startswith("/login?next=")

    assert console.csp_violations == []
    console.assert_clean()
