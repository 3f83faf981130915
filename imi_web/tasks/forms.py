from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..authorities.forms import RegisterAuthorityForm
from ..forms import TOO_LONG, Form


class CorrectRegistrationForm(RegisterAuthorityForm):
    """The access manager's corrections before validating (R-2.2.4)."""

    version = HiddenField()


class RejectForm(Form):
    reason = TextAreaField(
        _l("Reason for the rejection"),
        validators=[
            DataRequired(message=_l("Give the reason for the rejection.")),
            Length(max=2000, message=TOO_LONG),
        ],
        description=_l("Sent to the applicant by e-mail."),
    )
