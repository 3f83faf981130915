from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ..forms import TOO_LONG, Form


class ConfirmAppForm(Form):
    code = StringField(
        _l("Code from the app"),
        validators=[DataRequired(message=_l("Enter the code your app shows.")), Length(max=16, message=TOO_LONG)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"},
    )


class PasskeyForm(Form):
    name = StringField(
        _l("Name of the passkey"),
        validators=[DataRequired(message=_l("Give the passkey a name, e.g. the device it is on.")), Length(max=60, message=TOO_LONG)],
        render_kw={"autocomplete": "off"},
    )
