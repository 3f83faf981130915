"""The pages fit a phone: nothing wider than a 360 px screen, long names included."""

import pytest

from imi_web.extensions import db
from tests.conftest import Factory

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def browser_context_args():
    return {"locale": "lv-LV", "viewport": PHONE}


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_pages_fit_a_phone(live_server, page, console, screenshot):
    with live_server.app_context():
        factory = Factory(db)
        module = factory.module("IMI-SVC", rights=("SEND", "REPLY", "VIEW"))
        authority = factory.authority(name="Valsts ieņēmumu dienesta Nodokļu pārvaldes Reģionālā struktūrvienība")
        user = factory.user(
            authority=authority,
            username="akalnina",
            language="lv",
            email="anna.kalnina.nodoklu.parvalde@vid.example.lv",
            phone="+371 20000000",
            is_admin=True,
        )
        user.module_rights.extend(module.rights)
        factory.commit()
    console.expect_status(404)

    page.goto(live_server.url + "/login")
    assert horizontal_overflow(page) == 0

    page.locator("#username").fill("akalnina")
    page.locator("#password").fill(Factory.PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "lv"
    assert horizontal_overflow(page) == 0
    # The log-out button stays on one line beside a long authority name.
    logout = page.locator(".account form button[type=submit]").bounding_box()
    assert logout["height"] < 2 * 16 * 1.5, logout
    screenshot(page, "home-phone-lv")

    page.goto(live_server.url + "/account/password")
    assert horizontal_overflow(page) == 0

    page.goto(live_server.url + "/no-such-page")
    assert horizontal_overflow(page) == 0
