from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, RadioField, SelectChoice, SelectField
from wtforms.validators import URL, DataRequired, Email

from ..forms import CHOICE_MESSAGES, CheckboxesField, Form, text_field
from ..inputs import db_int
from ..models import DelegationScope, ModuleRole
from ..phone_numbers import phone_number


class AuthorityForm(Form):
    """An authority's data (R-2.1.1): names, contact details, fields of competence."""

    official_name = text_field(_l("Official name"))
    informal_name = text_field(
        _l("Informal name"),
        description=_l("So that other authorities understand the field the authority works in."),
    )
    phone = text_field(_l("Phone"), max_length=40, extra=[phone_number], render_kw={"type": "tel"})
    email = text_field(
        _l("E-mail"),
        max_length=254,
        extra=[Email(message=_l("Enter a valid e-mail address."))],
        render_kw={"type": "email"},
    )
    website = text_field(
        _l("Website"),
        required=False,
        extra=[URL(require_tld=True, message=_l("Enter a full web address, e.g. https://www.example.lv."))],
        render_kw={"type": "url"},
    )
    street_address = text_field(_l("Street address"))
    postal_code = text_field(_l("Postal code"), max_length=20)
    city = text_field(_l("City"), max_length=100)
    classification = CheckboxesField(_l("Fields of competence"), coerce=int, **CHOICE_MESSAGES)


class EditAuthorityForm(AuthorityForm):
    # The version the form was loaded from: a save over someone else's is refused.
    version = HiddenField()


class RegisterAuthorityForm(AuthorityForm):
    """Step 1 of R-2.1.1: the authority and its first user."""

    first_name = text_field(_l("First name"), max_length=100)
    surname = text_field(_l("Surname"), max_length=100)
    user_email = text_field(
        _l("E-mail"),
        max_length=254,
        extra=[Email(message=_l("Enter a valid e-mail address."))],
        render_kw={"type": "email"},
    )
    user_phone = text_field(_l("Phone"), required=False, max_length=40, extra=[phone_number], render_kw={"type": "tel"})
    user_language = SelectField(
        _l("Language of e-mails"), choices=[SelectChoice("lv", "Latviešu"), SelectChoice("en", "English")],
        default="lv",
        **CHOICE_MESSAGES,
    )
    # Set when the access manager has seen the likely duplicates and confirms a new authority.
    not_a_duplicate = HiddenField(default="")


class ModuleAccessForm(Form):
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


NO_DELEGATION = "none"


def _to_id(value):
    """Form values to ids; anything else becomes 0, which matches no authority."""
    return db_int(value, default=0)


class AccessManagerForm(Form):
    """Add an access manager of the country to an authority (R-3.5)."""

    # Any id is accepted here; the operation says why an authority cannot be a manager.
    manager = SelectField(_l("Authority to add as access manager"), coerce=_to_id, validate_choice=False)


class DelegationForm(Form):
    """The access-manager capability the NIMIC delegates (R-1.2)."""

    scope = RadioField(
        _l("Access-manager capability"),
        choices=[
            SelectChoice(NO_DELEGATION, _l("None: not an access manager")),
            SelectChoice(DelegationScope.FULL.value, _l("All modules")),
            SelectChoice(DelegationScope.PARTIAL.value, _l("Chosen modules only")),
        ],
        **CHOICE_MESSAGES,
    )
    modules = CheckboxesField(_l("Modules of a partial delegation"), coerce=int, **CHOICE_MESSAGES)


# --- what the forms with an authority's fields hand to the operations ---------------------


def authority_data(form) -> dict:
    """The authority's own fields (R-2.1.1) of ``form``."""
    from .operations import AUTHORITY_FIELDS

    return {field: getattr(form, field).data for field in AUTHORITY_FIELDS}


def chosen_classification(form) -> list:
    """The classification entries ticked in ``form.classification``."""
    import sqlalchemy as sa

    from ..extensions import db
    from ..models import ClassificationEntry

    ids = form.classification.data or []
    return db.session.scalars(sa.select(ClassificationEntry).where(ClassificationEntry.id.in_(ids))).all()


def first_user_data(form) -> dict:
    """The first user's fields of a registration form."""
    return {
        "first_name": form.first_name.data,
        "surname": form.surname.data,
        "email": form.user_email.data,
        "phone": form.user_phone.data or "",
        "language": form.user_language.data,
    }
