"""Latvian and English (R-6.3): the catalog, the language switch, mails in the recipient's language.

The catalog must cover every string of the code. After adding or changing strings, refresh it
(commands at the top of ``babel.cfg``):

    .venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --sort-by-file -o translations/messages.pot .
    .venv/bin/pybabel update -i translations/messages.pot -d translations -l lv --ignore-obsolete
    (translate the empty entries; check the fuzzy ones and remove their flag)
    .venv/bin/pybabel compile -d translations
"""

import re
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from imi_web.models import HistoryEntry, OutboxMessage, User

from .conftest import Client, Factory

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
LV_PO = TRANSLATIONS / "lv" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}

# The glossary of SPEC.md: where the interface uses one of these English terms as a whole
# string, the Latvian must be exactly the seed's term.
GLOSSARY = {
    "Administration": "Administrācija",
    "Managed authorities": "Pārvaldītās iestādes",
    "Only my authorities": "Tikai manas iestādes",
    "Registration invitations": "Uzaicinājumi reģistrēties",
    "My tasks": "Mani uzdevumi",
    "For validation": "Validēšanai",
    "Authorities": "Iestādes",
    "Send e-mail": "Nosūtīt e-pastu",
    "Authority": "Iestāde",
    "Classification": "Klasifikācija",
    "Modules": "Moduļi",
    "Users": "Lietotāji",
    "Management details": "Ziņas par pārvaldīšanu",
    "Edit authority": "Rediģēt iestādi",
    "access manager": "piekļuves pārvaldnieks",
    "Access manager": "Piekļuves pārvaldnieks",
    "coordinator": "koordinators",
    "Coordinator": "Koordinators",
    "authority": "iestāde",
    "linked coordinator": "saistītais koordinators",
    "Linked coordinator": "Saistītais koordinators",
    "temporary password": "pagaidu parole",
    "Temporary password": "Pagaidu parole",
    "Log in": "Pieteikties",
    "Log out": "Atteikties",
    "Username": "Lietotājvārds",
    "Password": "Parole",
}

# Every printf conversion, "%%" included: Jinja's new-style gettext always applies "%".
PLACEHOLDER = re.compile(r"%(?:%|(?:\([^)]*\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa])")


@pytest.fixture(scope="module")
def lv_catalog():
    with LV_PO.open("rb") as fh:
        return read_po(fh, locale="lv")


def extracted_messages():
    """The messages of the code, extracted in-process with the method map of babel.cfg."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh, filename=str(ROOT / "babel.cfg"))
    found = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    ):
        msgid = message[0] if isinstance(message, (list, tuple)) else message
        if not msgid:
            continue
        found.setdefault((msgid, context), (message, []))[1].append(f"{filename}:{lineno}")
    return found


def entries(catalog):
    return [m for m in catalog if m.id]


def strings_of(message):
    """(source, translation) pairs of an entry, plural forms included."""
    if isinstance(message.id, (list, tuple)):
        singular, plural = message.id
        forms = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
        return [(singular if i == 0 and len(forms) == 1 else plural, form) for i, form in enumerate(forms)]
    return [(message.id, message.string)]


def label(message):
    msgid = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
    where = ", ".join(f"{f}:{n}" for f, n in message.locations) or "no location"
    return f"{msgid!r} ({where})"


# --- the catalog ----------------------------------------------------------------------


def test_catalog_is_complete(lv_catalog):
    untranslated = [
        label(m)
        for m in entries(lv_catalog)
        if not all(translation.strip() for _source, translation in strings_of(m))
    ]
    fuzzy = [label(m) for m in entries(lv_catalog) if m.fuzzy]
    problems = [f"untranslated: {entry}" for entry in untranslated]
    problems += [f"fuzzy (check the translation, then remove the flag): {entry}" for entry in fuzzy]
    assert not problems, "translations/lv/LC_MESSAGES/messages.po is not complete:\n" + "\n".join(problems)


def test_catalog_covers_every_string_of_the_code(lv_catalog):
    missing = []
    for (msgid, context), (message, where) in sorted(extracted_messages().items(), key=str):
        entry = lv_catalog.get(msgid, context=context)
        if entry is None:
            missing.append(f"{msgid!r} ({', '.join(where)})")
        elif isinstance(message, (list, tuple)) and tuple(entry.id) != tuple(message[:2]):
            missing.append(f"{message!r}: plural form differs from the catalog ({', '.join(where)})")
    assert not missing, (
        "strings of the code missing from translations/lv/LC_MESSAGES/messages.po "
        "(refresh the catalog, see babel.cfg):\n" + "\n".join(missing)
    )


def test_catalog_has_no_strings_the_code_no_longer_uses(lv_catalog):
    extracted = extracted_messages()
    stale = [
        label(m)
        for m in entries(lv_catalog)
        if (m.id if isinstance(m.id, str) else m.id[0], m.context) not in extracted
    ]
    assert not stale, "entries no longer in the code (run pybabel update, see babel.cfg):\n" + "\n".join(stale)


def test_placeholders_are_kept(lv_catalog):
    wrong = []
    for message in entries(lv_catalog):
        for source, translation in strings_of(message):
            if translation and Counter(PLACEHOLDER.findall(source)) != Counter(PLACEHOLDER.findall(translation)):
                wrong.append(f"{source!r} → {translation!r}")
    assert not wrong, "placeholders differ between msgid and msgstr:\n" + "\n".join(wrong)


def test_glossary_terms_are_used(lv_catalog):
    wrong = []
    for english, latvian in GLOSSARY.items():
        entry = lv_catalog.get(english)
        if entry is not None and entry.string != latvian:
            wrong.append(f"{english!r} must be {latvian!r}, is {entry.string!r}")
    assert not wrong, "\n".join(wrong)


def test_every_mail_template_exists_in_both_languages():
    mail_templates = ROOT / "templates" / "email"
    by_language = {
        language: {p.relative_to(mail_templates / language) for p in (mail_templates / language).rglob("*.txt")}
        for language in ("lv", "en")
    }
    assert by_language["lv"] == by_language["en"], (
        f"only in lv: {sorted(map(str, by_language['lv'] - by_language['en']))}, "
        f"only in en: {sorted(map(str, by_language['en'] - by_language['lv']))}"
    )


# --- the language of the interface -------------------------------------------------------


def page(response) -> str:
    return response.get_data(as_text=True)


def assert_english(response):
    html = page(response)
    assert '<html lang="en">' in html
    assert "Pieteikties" not in html and "Atteikties" not in html


def assert_latvian(response):
    html = page(response)
    assert '<html lang="lv">' in html
    assert "Log in" not in html and "Log out" not in html


def test_browser_language_chooses_the_interface_language(client):
    english = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert english.status_code == 200
    assert_english(english)
    assert "Log in" in page(english)

    latvian = client.get("/login", headers={"Accept-Language": "lv-LV,lv;q=0.9,en;q=0.5"})
    assert latvian.status_code == 200
    assert_latvian(latvian)
    assert "Pieteikties" in page(latvian)


def test_without_a_browser_preference_the_interface_is_latvian(client):
    response = client.get("/login", headers={"Accept-Language": "de"})
    assert_latvian(response)
    assert "Pieteikties" in page(response)


def test_language_switch_works_both_ways(client):
    response = client.post("/language", {"language": "en", "next": "/login"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/login")
    # The explicit choice wins over the browser's preference.
    english = client.get("/login", headers={"Accept-Language": "lv"})
    assert_english(english)
    assert "Log in" in page(english)

    response = client.post("/language", {"language": "lv", "next": "/login"})
    assert response.status_code == 303
    latvian = client.get("/login", headers={"Accept-Language": "en"})
    assert_latvian(latvian)
    assert "Pieteikties" in page(latvian)


@pytest.mark.parametrize("language", ["de", "", "LV", "lv-LV"])
def test_unknown_language_is_refused(client, language):
    response = client.post("/language", {"language": language, "next": "/login"})
    assert response.status_code == 400


def test_language_switch_does_not_redirect_off_site(client):
    response = client.post("/language", {"language": "en", "next": "https://evil.example/"})
    assert response.status_code == 303
    assert "evil.example" not in response.headers["Location"]


def test_the_header_buttons_change_the_interface_only(client, db, factory):
    """Issue 18: the header's buttons switch this browser's interface; the language of the
    user's mails stays what My profile says."""
    user = factory.user(language="lv")
    factory.commit()
    client.login(user.username, Factory.PASSWORD)
    assert_latvian(client.get("/"))
    assert client.post("/language", {"language": "en", "next": "/"}).headers["Location"] == "/"
    assert_english(client.get("/"))
    db.session.refresh(user)
    assert user.language == "lv"
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(HistoryEntry).where(HistoryEntry.action == "user.language_changed")
    )
    assert count == 0


def test_logged_in_users_choice_is_remembered_and_recorded(app, client, db, factory):
    user = factory.user(language="lv")
    factory.commit()
    user_id, username = user.id, user.username

    response = client.login(username, Factory.PASSWORD)
    assert response.status_code == 303
    home = client.get("/")
    assert home.status_code == 200
    assert_latvian(home)

    response = client.post("/account/language", {"language": "en"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/")
    home = client.get("/")
    assert_english(home)
    assert "My profile" in page(home)

    db.session.expire_all()
    assert db.session.get(User, user_id).language == "en"
    recorded = db.session.scalars(
        sa.select(HistoryEntry).where(
            HistoryEntry.action == "user.language_changed", HistoryEntry.subject_id == user_id
        )
    ).all()
    assert len(recorded) == 1
    assert recorded[0].actor_user_id == user_id
    assert recorded[0].changes == {"language": ["lv", "en"]}

    # Another browser, no language preference sent: the account's language applies.
    other = Client(app.test_client())
    assert other.login(username, Factory.PASSWORD).status_code == 303
    home = other.get("/")
    assert home.status_code == 200
    assert_english(home)
    assert "My profile" in page(home)

    # And back to Latvian.
    assert other.post("/account/language", {"language": "lv"}).status_code == 303
    assert_latvian(other.get("/"))
    db.session.expire_all()
    assert db.session.get(User, user_id).language == "lv"


def test_choosing_the_current_language_records_nothing(client, db, factory):
    user = factory.user(language="lv")
    factory.commit()
    client.login(user.username, Factory.PASSWORD)
    assert client.post("/account/language", {"language": "lv"}).status_code == 303
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(HistoryEntry).where(HistoryEntry.action == "user.language_changed")
    )
    assert count == 0


# --- mails in the recipient's language ----------------------------------------------------


@pytest.mark.parametrize("reason", ["registered", "reset"])
def test_mail_goes_out_in_the_recipients_language(app, db, reason):
    from imi_web.outbox import queue_mail

    latvian = queue_mail(
        "anna@example.lv", "temporary_password", "lv",
        first_name="Anna", temporary_password="Xk7pQm2wRt9vZa", reason=reason,
    )
    english = queue_mail(
        "john@example.eu", "temporary_password", "en",
        first_name="John", temporary_password="Yh8nWq3eKs4uBd", reason=reason,
    )
    db.session.flush()

    assert isinstance(latvian, OutboxMessage) and latvian.language == "lv"
    assert "pagaidu parole" in latvian.subject.lower()
    assert "Xk7pQm2wRt9vZa" in latvian.body_text
    assert "Anna" in latvian.body_text
    assert "pagaidu parol" in latvian.body_text  # "pagaidu parole" / "pagaidu paroli"
    assert "temporary password" not in (latvian.subject + latvian.body_text).lower()

    assert english.language == "en"
    assert "temporary password" in english.subject.lower()
    assert "Yh8nWq3eKs4uBd" in english.body_text
    assert "John" in english.body_text
    assert "temporary password" in english.body_text.lower()
    assert "parole" not in (english.subject + english.body_text).lower()
    db.session.rollback()


def test_own_profile_changes_the_language(client, db, factory):
    user = factory.user(username="profile.user", language="en")
    factory.commit()
    client.login("profile.user", Factory.PASSWORD)
    page = client.get("/").get_data(as_text=True)
    assert 'id="profile-language"' in page
    assert client.post("/account/language", {"language": "lv"}).headers["Location"] == "/"
    db.session.refresh(user)
    assert user.language == "lv"


def test_templates_follow_forced_and_switched_locales(app):
    """Templates look the translations up once per render: a render inside ``force_locale`` (a
    mail in the recipient's language), the render after it, and macros imported without
    context all use the locale in force at the time."""
    from flask import render_template_string, session
    from flask_babel import force_locale, refresh

    page = '{% from "macros/pager.html" import page_label %}{{ _("Name") }}|{{ ngettext("%(num)d authority found", "%(num)d authorities found", 2) }}|{{ page_label(r) }}'
    results = type("R", (), {"more": True, "page": 3})()
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert render_template_string(page, r=results) == "Name|2 authorities found|Page 3"
        with force_locale("lv"):
            assert render_template_string(page, r=results) == "Nosaukums|Atrastas 2 iestādes|3. lappuse"
        assert render_template_string(page, r=results) == "Name|2 authorities found|Page 3"
        session["language"] = "lv"
        refresh()
        assert render_template_string(page, r=results) == "Nosaukums|Atrastas 2 iestādes|3. lappuse"
