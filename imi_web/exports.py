"""CSV exports of the lists (access overview, managed authorities, an authority's users, the
security events): streamed, safe for spreadsheets, and recorded.

An export is the list on the screen with the same criteria, without paging: the view checks
the same policy as the screen (403 before the first byte), then streams the rows from a
server-side cursor (``yield_per``), so memory stays flat and the first bytes leave at once
whatever the number of rows. The file is UTF-8 with a byte-order mark (spreadsheet programs
then read Latvian letters right), its header row in the reader's language, and its fields
separated as the reader's spreadsheet expects them (";" where the decimal sign is a comma).

Every cell that a spreadsheet would read as a formula — starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return — gets a leading apostrophe (OWASP, "CSV injection").

When the last row is written (or the download is broken off), the export is recorded as a
security event (``export``): who, which list, its criteria and how many rows.
"""

import csv
from datetime import datetime
from typing import Callable, Iterable
from urllib.parse import urlencode

import flask_babel
from flask import Response, request, stream_with_context
from flask_babel import get_locale
from flask_login import current_user

from . import security_events
from .extensions import db

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FLUSH_ROWS = 200  # rows per chunk sent


def safe_cell(value) -> str:
    """The cell as text a spreadsheet shows as written: never a formula."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(flask_babel.get_timezone()).strftime("%Y-%m-%d %H:%M")
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def delimiter() -> str:
    """";" for readers whose decimal sign is a comma (Latvian), "," otherwise."""
    return ";" if get_locale().number_symbols["latn"]["decimal"] == "," else ","


class _Line:
    """A file-like object that hands back what ``csv.writer`` wrote."""

    def __init__(self):
        self.parts = []

    def write(self, text):
        self.parts.append(text)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        return text


def csv_response(
    filename: str,
    header: list[str],
    rows: Callable[[], Iterable[list]],
    *,
    what: str,
    criteria: dict,
) -> Response:
    """Stream ``header`` and the lists of cells ``rows()`` yields as ``filename``, and record the
    export (``what``: the list, ``criteria``: its query-string arguments) once it ends."""
    user = current_user._get_current_object()
    separator = delimiter()

    def generate():
        buffer = _Line()
        writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n")
        writer.writerow([safe_cell(cell) for cell in header])
        yield BOM + buffer.take()
        count = 0
        try:
            for row in rows():
                writer.writerow([safe_cell(cell) for cell in row])
                count += 1
                if count % FLUSH_ROWS == 0:
                    yield buffer.take()
            yield buffer.take()
        finally:
            record_export(user, what, criteria, count)

    response = Response(stream_with_context(generate()), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def record_export(user, what: str, criteria: dict, count: int) -> None:
    """The export as a security event, in a transaction of its own (the rows were read in the
    request's, which only read)."""
    db.session.rollback()
    query = urlencode(criteria)
    security_events.record(
        security_events.EXPORT,
        user=user,
        reason=what,
        count=count,
        object=f"{what}?{query}" if query else what,
    )
    db.session.commit()


def export_filename(stem: str) -> str:
    """``stem``-YYYY-MM-DD.csv, the day in the installation's time zone."""
    today = datetime.now(flask_babel.get_timezone()).date().isoformat()
    return f"{stem}-{today}.csv"


def criteria_args() -> dict:
    """The request's criteria, for the record (at most the first 20)."""
    return dict(list(request.args.items(multi=False))[:20])
