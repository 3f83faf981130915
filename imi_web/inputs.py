"""Input that no field can hold, refused before it reaches a query (issue 15).

- Characters: NUL and the other control characters (a line break or tab only in fields of
  several lines), and lone surrogates. PostgreSQL cannot store NUL at all; the rest has no
  place in a name or an address and can break mail headers and logs. Forms say so beside
  the field (``Form``); a query string or URL that holds one is a 400.
- Integers: an id beyond the database's ``integer`` (PostgreSQL int4, every id column) names
  nothing: 404 in URLs (the ``int`` converter), no value in query arguments (``db_int``).
"""

import re

from flask import abort, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from werkzeug.routing import IntegerConverter
from wtforms import TextAreaField
from wtforms.validators import StopValidation

INT_MAX = 2**31 - 1
_ID = re.compile(r"[0-9]{1,10}")  # ASCII digits: "²".isdigit() is true, but int("²") fails
_UNFIT_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_UNFIT_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

UNFIT_MESSAGE = _l("This field contains characters that cannot be saved (control characters). Remove them.")
LINE_BREAK_MESSAGE = _l("This field must be a single line: remove the line breaks.")
_LINE_BREAKS = re.compile(r"[\r\n]+")


def unfit(value, lines: bool = False) -> bool:
    """Whether ``value`` holds a character no field can hold (``lines``: tab and line breaks allowed)."""
    return isinstance(value, str) and (_UNFIT_TEXT if lines else _UNFIT_LINE).search(value) is not None


def replace_unfit(value: str) -> str:
    """``value`` with each character no field can hold replaced by U+FFFD (for records of what was typed)."""
    return _UNFIT_LINE.sub("\ufffd", value)


def db_int(value, default=None):
    """``value`` as a non-negative integer the database can hold (ids, page numbers), else ``default``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value <= INT_MAX else default
    text = str(value if value is not None else "").strip()
    if _ID.fullmatch(text) and int(text) <= INT_MAX:
        return int(text)
    return default


class IdConverter(IntegerConverter):
    """``<int:...>`` in every URL: no match (404) beyond the database's integer."""

    def __init__(self, map, fixed_digits=0, min=None, max=INT_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


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


def refuse_unfit_query() -> None:
    """Before every request: a query string (names or values) or URL path with such characters is a 400."""
    if unfit(request.path) or any(
        unfit(key) or any(unfit(value) for value in values) for key, values in request.args.lists()
    ):
        abort(400)


def init_app(app) -> None:
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_unfit_query)
