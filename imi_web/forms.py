"""The parts every form of the application shares: the base ``Form`` (its first validator
refuses characters no field can hold), the messages WTForms has no Latvian catalog for, and
the field builders."""

import re

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from wtforms import SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from .inputs import unfit

# WTForms fills in %(max)d.
TOO_LONG = _l("Use at most %(max)d characters.")
UNFIT_MESSAGE = _l("This field contains characters that cannot be saved (control characters). Remove them.")
LINE_BREAK_MESSAGE = _l("This field must be a single line: remove the line breaks.")
_LINE_BREAKS = re.compile(r"[\r\n]+")


def fit_characters(form, field) -> None:
    """The first validator of every field (``Form``): refuse what no field can hold, alone."""
    lines = isinstance(field, TextAreaField)
    values = [value for value in field.raw_data or () if isinstance(value, str)]
    if any(unfit(value, lines) for value in values):
        field.errors[:] = []  # "not a valid choice" and the like would only add noise
        only_line_breaks = not any(unfit(_LINE_BREAKS.sub("", value)) for value in values)
        raise StopValidation(str(LINE_BREAK_MESSAGE if only_line_breaks else UNFIT_MESSAGE))


class Form(FlaskForm):
    """The base of every form of the application: ``fit_characters`` checks each field first,
    and the fields are filled from the submitted form only — Flask-WTF would take a JSON body
    too, whose values can be of any type (``true``, lists) where a field expects text."""

    class Meta:
        def wrap_formdata(self, form, formdata):
            if formdata is _Auto and request.is_json:
                formdata = request.form  # empty: a JSON body fills no field
            return super().wrap_formdata(form, formdata)

        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)
            field.validators = [fit_characters, *field.validators]
            return field



# WTForms has no Latvian catalog: every choice field gets our own, translated message.
NOT_OFFERED = _l("Choose one of the options offered.")
CHOICE_MESSAGES = {"invalid_value_message": NOT_OFFERED, "invalid_choice_message": NOT_OFFERED}


class CheckboxesField(SelectMultipleField):
    """A list of checkboxes: every option is labelled and reachable by keyboard."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def text_field(label, *, required=True, max_length=300, **kw):
    validators = [DataRequired(message=_l("Fill in this field."))] if required else [Optional()]
    validators.append(Length(max=max_length, message=TOO_LONG))
    return StringField(label, validators=validators + kw.pop("extra", []), **kw)


class ActionForm(Form):
    """A button that changes something (resend, revoke, suspend): the CSRF token only."""
