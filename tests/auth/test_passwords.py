"""R-3.8 password rules, table-driven, and the history of the last 5 passwords."""

import pytest

from imi_web.auth.operations import change_password
from imi_web.passwords import generate_temporary_password, password_problems, rule_problems

RULES = [
    # (password, expected messages)
    ("Abcdef12", []),  # 8 characters: enough
    ("Abcde12", ["The password must have at least 8 characters."]),  # 7 characters
    ("abcdefg1", ["The password must contain at least one upper-case letter."]),
    ("ABCDEFG1", ["The password must contain at least one lower-case letter."]),
    ("Abcdefgh", ["The password must contain at least one digit."]),
    ("Āboliņš1", []),  # Latvian letters count as upper- and lower-case
    (
        "abc",
        [
            "The password must have at least 8 characters.",
            "The password must contain at least one upper-case letter.",
            "The password must contain at least one digit.",
        ],
    ),
]


@pytest.fixture
def english(app):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("en"):
        yield


@pytest.mark.parametrize("password,expected", RULES)
def test_rules(english, password, expected):
    assert [str(m) for m in rule_problems(password)] == expected


def test_rule_messages_in_latvian(app):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("lv"):
        messages = [str(m) for m in rule_problems("abc")]
    with app.test_request_context(), force_locale("en"):
        english = [str(m) for m in rule_problems("abc")]
    assert len(messages) == 3
    # Each rule has its own Latvian text (the catalog test checks every entry is translated).
    assert all(lv != en for lv, en in zip(messages, english)), messages


def test_temporary_passwords_meet_the_rules(app):
    for _ in range(50):
        assert rule_problems(generate_temporary_password()) == []


def test_last_five_passwords_refused_sixth_accepted(english, factory, db):
    user = factory.user(password="Temporary-1", temporary=True)
    factory.commit()
    chosen = [f"Chosen-Password-{n}" for n in range(1, 7)]
    current = "Temporary-1"
    for password in chosen:
        assert change_password(user, current, password) == {}
        db.session.commit()
        current = password
    # The current password and the four before it are the last five: all refused.
    for password in chosen[1:]:
        problems = password_problems(user, password)
        assert [str(p) for p in problems] == ["The password must not be one of your last 5 passwords."], password
    # The sixth most recent is allowed again.
    assert password_problems(user, chosen[0]) == []
    assert change_password(user, current, chosen[0]) == {}


def test_change_refuses_wrong_current_password(app, factory):
    user = factory.user(password="Right-Password-1")
    assert change_password(user, "Wrong-Password-1", "Brand-New-Pass-2") == {"current_password": ["wrong"]}
