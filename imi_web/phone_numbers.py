"""What a phone field accepts: a number as people write it, international or local."""

import re

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

# Digits with spaces, dashes, dots, slashes and brackets between them, an optional leading
# "+", and an extension ("ext. 12", "iekš. 12" are written with letters: not accepted here).
_PHONE = re.compile(r"\+?[0-9 ()./-]+")
MIN_DIGITS, MAX_DIGITS = 5, 15  # E.164 allows 15 digits


def phone_number(form, field) -> None:
    """WTForms validator: a phone number, e.g. +371 67 123 456 or (067) 123-456."""
    value = (field.data or "").strip()
    if not value:
        return
    digits = sum(ch.isdigit() for ch in value)
    if not _PHONE.fullmatch(value) or not MIN_DIGITS <= digits <= MAX_DIGITS:
        raise ValidationError(_l("Enter a phone number with digits only, e.g. +371 67 123 456."))
