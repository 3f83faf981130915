"""Password rules (R-3.8), hashing and temporary passwords.

Hashing is Argon2id through argon2-cffi: memory-hard (RFC 9106), the OWASP first choice,
and its parameters are stored in each hash, so a stronger profile later re-hashes at the
next login without a migration.
"""

import secrets
import string

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn

from .models.base import fold

MIN_LENGTH = 8
# zxcvbn's time grows with the length; beyond this a password is long enough to judge by its start.
PASSWORD_CHECK_LENGTH = 100


def _hasher() -> argon2.PasswordHasher:
    hashers = current_app.extensions.setdefault("imi_password_hashers", {})
    profile = current_app.config["PASSWORD_HASH_PROFILE"]
    if profile not in hashers:
        hashers[profile] = argon2.PasswordHasher.from_parameters(getattr(argon2.profiles, profile))
    return hashers[profile]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        # Spend the same time as a real check, so a missing account is not told apart by timing.
        _burn(password)
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


def _dummy_hash() -> str:
    hashes = current_app.extensions.setdefault("imi_dummy_hash", {})
    profile = current_app.config["PASSWORD_HASH_PROFILE"]
    if profile not in hashes:
        hashes[profile] = _hasher().hash(secrets.token_urlsafe(16))
    return hashes[profile]


def _burn(password: str) -> None:
    try:
        _hasher().verify(_dummy_hash(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        pass


def rule_problems(password: str) -> list:
    """The composition rules of R-3.8 that ``password`` does not meet, one message each."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_l("The password must have at least %(num)d characters.", num=MIN_LENGTH))
    if not any(c.isupper() for c in password):
        problems.append(_l("The password must contain at least one upper-case letter."))
    if not any(c.islower() for c in password):
        problems.append(_l("The password must contain at least one lower-case letter."))
    if not any(c.isdigit() for c in password):
        problems.append(_l("The password must contain at least one digit."))
    return problems


# Why zxcvbn found a password easy to guess, by the kind of its weakest part, most telling first.
_GUESSABLE_BECAUSE = (
    (lambda m: m.get("dictionary_name") == "user_inputs", _l("It is made from your own name, username or e-mail address.")),
    (lambda m: m.get("dictionary_name") == "passwords", _l("It is one of the most commonly used passwords.")),
    (lambda m: m["pattern"] == "dictionary", _l("It is made from a common word or name.")),
    (lambda m: m["pattern"] == "spatial", _l("It follows a row or pattern of the keyboard.")),
    (lambda m: m["pattern"] in ("repeat", "sequence"), _l("It repeats characters or runs in sequence, like aaa or 123.")),
    (lambda m: m["pattern"] in ("date", "regex"), _l("It is made from a date or a year.")),
)


def guessable_problems(password: str, personal: list[str] = ()) -> list:
    """A message if zxcvbn (Dropbox's estimator, with its lists of common passwords, words and
    names) finds ``password`` too easy to guess, also from ``personal`` words (the user's names,
    username and e-mail address, with and without diacritics); else nothing."""
    inputs = {word for text in personal if text for word in (text.lower(), fold(text))}
    result = zxcvbn(password[:PASSWORD_CHECK_LENGTH], user_inputs=sorted(inputs))
    if result["score"] >= current_app.config["PASSWORD_MIN_SCORE"]:
        return []
    matches = result["sequence"]
    reason = next((message for test, message in _GUESSABLE_BECAUSE if any(test(m) for m in matches)), None)
    problems = [_l("The password is too easy to guess.")]
    if reason is not None:
        problems.append(reason)
    return problems


def personal_words(user) -> list[str]:
    email = user.email or ""
    return [user.first_name, user.surname, user.username, email, email.partition("@")[0]]


def reused(user, password: str) -> bool:
    """Whether ``password`` is the current one or one of the user's last N chosen passwords."""
    size = current_app.config["PASSWORD_HISTORY_SIZE"]
    if user.password_hash and verify_password(user.password_hash, password):
        return True
    return any(verify_password(entry.password_hash, password) for entry in user.password_history[:size])


def password_problems(user, password: str) -> list:
    problems = rule_problems(password) or guessable_problems(password, personal_words(user))
    if not problems and reused(user, password):
        problems.append(
            _l("The password must not be one of your last %(num)d passwords.", num=current_app.config["PASSWORD_HISTORY_SIZE"])
        )
    return problems


_TEMP_ALPHABET = "".join(
    c for c in string.ascii_letters + string.digits if c not in "Il1O0o"
)


def generate_temporary_password(length: int = 14) -> str:
    """A random password that meets every rule: about 80 bits from an unambiguous alphabet."""
    while True:
        candidate = "".join(secrets.choice(_TEMP_ALPHABET) for _ in range(length))
        if not rule_problems(candidate) and not guessable_problems(candidate):
            return candidate
