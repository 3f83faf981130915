import re

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from ..forms import CHOICE_MESSAGES, TOO_LONG, Form

REQUIRED = _l("Fill in this field.")
ADMINISTRATORS = "administrators"
ALL_USERS = "all_users"
MATCHING = "matching"
CHOSEN = "chosen"
# Line breaks (and other control characters) in a subject would let a sender add mail headers.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\u2028\u2029\x85]")


def one_line(form, field):
    if field.data and CONTROL_CHARACTERS.search(field.data):
        raise ValidationError(_l("The subject must be a single line: remove the line breaks."))


class MessageForm(Form):
    """Who receives the message and what it says (R-6.1)."""

    audience = RadioField(
        _l("Send to"),
        choices=[
            SelectChoice(ADMINISTRATORS, _l("the administrators of the authorities")),
            SelectChoice(ALL_USERS, _l("all users of the authorities")),
        ],
        default=ADMINISTRATORS,
        validators=[DataRequired(message=_l("Choose who receives the message."))],
        **CHOICE_MESSAGES,
    )
    selection = RadioField(
        _l("Authorities"),
        choices=[
            SelectChoice(MATCHING, _l("All authorities matching the criteria")),
            SelectChoice(CHOSEN, _l("Only the authorities ticked in the list")),
        ],
        default=MATCHING,
        validators=[DataRequired(message=_l("Choose which authorities receive the message."))],
        **CHOICE_MESSAGES,
    )
    subject = StringField(
        _l("Subject"),
        validators=[DataRequired(message=REQUIRED), Length(max=200, message=TOO_LONG), one_line],
    )
    message = TextAreaField(
        _l("Message"),
        validators=[DataRequired(message=REQUIRED), Length(max=10000, message=TOO_LONG)],
        render_kw={"rows": 10},
    )
