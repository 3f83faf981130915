from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import URL, DataRequired, Email, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..auth.forms import TOO_LONG
from ..models import ModuleRole


# WTForms has no Latvian catalog: every choice field gets our own, translated message.
NOT_OFFERED = _l("Choose one of the options offered.")
CHOICE_MESSAGES = {"invalid_value_message": NOT_OFFERED, "invalid_choice_message": NOT_OFFERED}


class CheckboxesField(SelectMultipleField):
    """A list of checkboxes: every option is labelled and reachable by keyboard."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _text(label, *, required=True, max_length=300, **kw):
    validators = [DataRequired(message=_l("Fill in this field."))] if required else [Optional()]
    validators.append(Length(max=max_length, message=TOO_LONG))
    return StringField(label, validators=validators + kw.pop("extra", []), **kw)


class RegisterAuthorityForm(FlaskForm):
    """Step 1 of R-2.1.1: the authority and its first user."""

    official_name = _text(_l("Official name"))
    informal_name = _text(
        _l("Informal name"),
        description=_l("So that other authorities understand the field the authority works in."),
    )
    phone = _text(_l("Phone"), max_length=40, render_kw={"autocomplete": "tel", "type": "tel"})
    email = _text(
        _l("E-mail"),
        max_length=254,
        extra=[Email(message=_l("Enter a valid e-mail address."))],
        render_kw={"type": "email"},
    )
    website = _text(
        _l("Website"),
        required=False,
        extra=[URL(require_tld=True, message=_l("Enter a full web address, e.g. https://www.example.lv."))],
        render_kw={"type": "url"},
    )
    street_address = _text(_l("Street address"))
    postal_code = _text(_l("Postal code"), max_length=20)
    city = _text(_l("City"), max_length=100)
    classification = CheckboxesField(_l("Fields of competence"), coerce=int, **CHOICE_MESSAGES)

    first_name = _text(_l("First name"), max_length=100)
    surname = _text(_l("Surname"), max_length=100)
    user_email = _text(
        _l("E-mail"),
        max_length=254,
        extra=[Email(message=_l("Enter a valid e-mail address."))],
        render_kw={"type": "email"},
    )
    user_phone = _text(_l("Phone"), required=False, max_length=40, render_kw={"type": "tel"})
    user_language = SelectField(
        _l("Language of e-mails"), choices=[SelectChoice("lv", "Latviešu"), SelectChoice("en", "English")],
        default="lv",
        **CHOICE_MESSAGES,
    )
    # Set when the access manager has seen the likely duplicates and confirms a new authority.
    not_a_duplicate = HiddenField(default="")


class ModuleAccessForm(FlaskForm):
    """The terms of an authority's access to one module (R-2.1.4)."""

    role = RadioField(
        _l("Role in the module"),
        choices=[
            SelectChoice(ModuleRole.COORDINATOR.value, _l("coordinator")),
            SelectChoice(ModuleRole.AUTHORITY.value, _l("authority")),
        ],
        validators=[DataRequired(message=_l("Choose the role in the module."))],
        **CHOICE_MESSAGES,
    )
    classification = CheckboxesField(_l("Module classification"), coerce=int, **CHOICE_MESSAGES)
    approval_required = BooleanField(_l("Requests need approval before they are sent"))
    allocation_by_coordinator = BooleanField(_l("Incoming requests are allocated by the coordinator"))
    may_refuse_requests = BooleanField(_l("May refuse requests"))
    linked_coordinator = SelectField(_l("Linked coordinator"), coerce=int, default=0, **CHOICE_MESSAGES)


class GrantModuleForm(ModuleAccessForm):
    module = SelectField(_l("Module"), coerce=int, **CHOICE_MESSAGES)
