"""Input that no field can hold, refused before it reaches a query (issue 15).

- Characters: NUL and the other control characters (a line break or tab only in fields of
  several lines), and lone surrogates. PostgreSQL cannot store NUL at all; the rest has no
  place in a name or an address and can break mail headers and logs. Forms say so beside
  the field (``forms.Form``); a query string or URL that holds one is a 400.
- Integers: an id beyond the database's ``integer`` (PostgreSQL int4, every id column) names
  nothing: 404 in URLs (the ``int`` converter), no value in query arguments (``db_int``).
"""

import re

from flask import abort, request
from werkzeug.routing import IntegerConverter

INT_MAX = 2**31 - 1
_ID = re.compile(r"[0-9]{1,10}")  # ASCII digits: "²".isdigit() is true, but int("²") fails
_UNFIT_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_UNFIT_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")



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


def refuse_unfit_query() -> None:
    """Before every request: a query string (names or values) or URL path with such characters is a 400."""
    if unfit(request.path) or any(
        unfit(key) or any(unfit(value) for value in values) for key, values in request.args.lists()
    ):
        abort(400)


def init_app(app) -> None:
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_unfit_query)
