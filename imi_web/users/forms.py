from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from ..forms import CHOICE_MESSAGES, TOO_LONG, CheckboxesField, Form
from ..phone_numbers import phone_number

REQUIRED = _l("Fill in this field.")


class RightsForm(Form):
    """Administrator rights and user rights per module (R-3.6)."""

    is_admin = BooleanField(_l("Administrator rights"))
    rights = CheckboxesField(_l("User rights"), coerce=int, **CHOICE_MESSAGES)


class RegisterUserForm(RightsForm):
    first_name = StringField(_l("First name"), validators=[DataRequired(message=REQUIRED), Length(max=100, message=TOO_LONG)])
    surname = StringField(_l("Surname"), validators=[DataRequired(message=REQUIRED), Length(max=100, message=TOO_LONG)])
    email = StringField(
        _l("E-mail"),
        validators=[
            DataRequired(message=REQUIRED),
            Length(max=254, message=TOO_LONG),
            Email(message=_l("Enter a valid e-mail address.")),
        ],
        render_kw={"type": "email"},
    )
    phone = StringField(
        _l("Phone"),
        validators=[Optional(), Length(max=40, message=TOO_LONG), phone_number],
        render_kw={"type": "tel"},
    )
    language = SelectField(
        _l("Language of e-mails"),
        choices=[SelectChoice("lv", "Latviešu"), SelectChoice("en", "English")],
        default="lv",
        **CHOICE_MESSAGES,
    )


class UsernameForm(Form):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(message=REQUIRED), Length(max=64, message=TOO_LONG)],
        render_kw={"autocapitalize": "none", "spellcheck": "false"},
    )
