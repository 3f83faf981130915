"""R-3.8 password rules, table-driven, and the history of the last 5 passwords."""

import pytest

from imi_web.auth.operations import change_password
from imi_web.passwords import generate_temporary_password, password_problems, rule_problems
from tests.conftest import BACKENDS

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


# Passwords that meet R-3.8's composition rules but are common or derived from the user (issue 14).
GUESSABLE = [
    ("Password1", "It is one of the most commonly used passwords."),
    ("Qwerty123", "It is one of the most commonly used passwords."),
    ("Parole123", "It is made from a common word or name."),
    ("Akalnina1", "It is made from your own name, username or e-mail address."),
    ("Kalnina2024", "It is made from your own name, username or e-mail address."),  # Kalniņa, without diacritics
    ("Anna12345", "It is made from your own name, username or e-mail address."),
]


@pytest.fixture
def anna(factory):
    return factory.user(username="akalnina", first_name="Anna", surname="Kalniņa", email="anna.kalnina@example.lv")


@pytest.mark.parametrize("password,reason", GUESSABLE)
def test_common_and_personal_passwords_are_refused(english, anna, password, reason):
    assert rule_problems(password) == []  # alone would accept it
    assert [str(p) for p in password_problems(anna, password)] == ["The password is too easy to guess.", reason]


@pytest.mark.parametrize("password", ["Zilais7Kalns", "Jelgava-Zied-2027", "Dzeltens+Koks-8"])
def test_passwords_hard_to_guess_are_accepted(english, anna, password):
    assert password_problems(anna, password) == []


def test_guessable_messages_in_latvian(app, anna):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("lv"):
        assert [str(p) for p in password_problems(anna, "Password1")] == [
            "Parole ir pārāk viegli uzminama.",
            "Tā ir viena no visbiežāk lietotajām parolēm.",
        ]


def test_temporary_passwords_are_hard_to_guess(app):
    from imi_web.passwords import guessable_problems

    for _ in range(20):
        assert guessable_problems(generate_temporary_password()) == []


@pytest.mark.parametrize("forced", [True, False], ids=["first login", "password change"])
def test_a_common_password_is_refused_beside_the_field_and_nothing_changes(client, factory, db, forced):
    from tests.conftest import Factory

    current = "Temp-Pass-123" if forced else Factory.PASSWORD
    user = factory.user(username="akalnina", first_name="Anna", surname="Kalniņa", password=current, temporary=forced)
    factory.commit()
    before = user.password_hash
    client.login("akalnina", current)
    response = client.post(
        "/account/password",
        {"current_password": current, "new_password": "Kalnina2024", "repeat_password": "Kalnina2024"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    field = html[html.index('id="new_password-error"') :]
    assert field.index("The password is too easy to guess.") < field.index('name="new_password"')
    db.session.refresh(user)
    assert user.password_hash == before and user.password_is_temporary == forced


def test_a_password_made_from_the_e_mail_address_is_refused(english, factory):
    """The e-mail address counts as personal, even when the names and the username have nothing
    in common with it. Found by mutation testing (docs/mutation.md)."""
    user = factory.user(username="akalnina", first_name="Anna", surname="Kalniņa", email="gints.pumpurs@example.lv")
    assert rule_problems("Gints.Pumpurs7") == []
    assert [str(p) for p in password_problems(user, "Gints.Pumpurs7")] == [
        "The password is too easy to guess.",
        "It is made from your own name, username or e-mail address.",
    ]
    assert password_problems(factory.user(email="someone@example.lv"), "Gints.Pumpurs7") == []  # else a good one


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_temporary_password_cannot_be_chosen_again(english, factory, db):
    """R-3.8: a temporary password must be changed at the first login, so it cannot be chosen as
    the new one (it is the current password, not yet in the history of chosen ones).
    Found by mutation testing (docs/mutation.md)."""
    user = factory.user(password="Zilais7Kalns", temporary=True)
    factory.commit()
    assert change_password(user, "Zilais7Kalns", "Zilais7Kalns") == {
        "new_password": ["The password must not be one of your last 5 passwords."]
    }
    db.session.rollback()
    assert user.password_is_temporary


def test_a_password_at_exactly_the_least_score_is_accepted(english, anna, app):
    """IMI_PASSWORD_MIN_SCORE is the least zxcvbn score accepted, not the greatest refused.
    Found by mutation testing (docs/mutation.md)."""
    from zxcvbn import zxcvbn

    assert zxcvbn("Mezs5Upe")["score"] == app.config["PASSWORD_MIN_SCORE"]
    assert password_problems(anna, "Mezs5Upe") == []
