from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, TextAreaField
from wtforms.validators import Email, Length, Optional

from ..authorities.forms import RegisterAuthorityForm
from ..forms import CHOICE_MESSAGES, TOO_LONG, Form, text_field

LANGUAGE_CHOICES = [SelectChoice("lv", "Latviešu"), SelectChoice("en", "English")]


class InvitationForm(Form):
    """An invitation to self-register (R-2.2.1)."""

    email = text_field(
        _l("E-mail"),
        max_length=254,
        extra=[Email(message=_l("Enter a valid e-mail address."))],
        render_kw={"type": "email", "autocomplete": "off"},
    )
    suggested_name = text_field(
        _l("Suggested authority name"),
        description=_l("The invited authority sees it as its official name and may change it."),
    )
    language = SelectField(
        _l("Language of the invitation"),
        choices=LANGUAGE_CHOICES,
        default="lv",
        description=_l("The e-mail and the registration form are in this language; the form can be switched."),
        **CHOICE_MESSAGES,
    )
    message = TextAreaField(
        _l("Message (optional)"),
        validators=[Optional(), Length(max=2000, message=TOO_LONG)],
        description=_l("Added to the invitation e-mail."),
    )


class SelfRegistrationForm(RegisterAuthorityForm):
    """The invited authority's own data and its first user (R-2.2.2): the fields of R-2.1.1.

    There is no country field: the country is the invitation's. The fields describe the
    person filling in the form and their own authority, so the browser may fill them in.
    """

    AUTOCOMPLETE = {
        "official_name": "organization",
        "email": "work email",
        "phone": "work tel",
        "website": "url",
        "street_address": "street-address",
        "postal_code": "postal-code",
        "city": "address-level2",
        "first_name": "given-name",
        "surname": "family-name",
        "user_email": "email",
        "user_phone": "tel",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, token in self.AUTOCOMPLETE.items():
            self[name].render_kw = {**(self[name].render_kw or {}), "autocomplete": token}
