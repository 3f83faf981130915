"""Jinja helpers shared by every template."""

from flask_babel import format_decimal, get_locale, gettext

from .history import VALUE_LABELS
from .i18n import format_day, format_moment, iso_moment, translate
from .htmx import is_htmx


def field_attrs(field, hint=None) -> dict:
    """ARIA attributes tying a form field to its hint and its error messages."""
    described = []
    if hint:
        described.append(f"{field.id}-hint")
    extra = (field.render_kw or {}).get("aria-describedby")
    if extra:
        described.append(extra)
    if field.errors:
        described.append(f"{field.id}-error")
    attrs = {}
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if field.errors:
        attrs["aria-invalid"] = "true"
    if field.flags.required:
        # Not the HTML "required": the server's message, in the user's language, is the one shown.
        attrs["aria-required"] = "true"
    return attrs


def history_value(value, field: str | None = None, labels: dict | None = None) -> str:
    """An old or new value of the history, readable: yes/no, lists, and "—" for nothing; the
    codes of ``field`` named by ``labels`` (history.code_labels) in the reader's language."""
    if value is None or value == "" or value == []:
        return "—"
    if value is True:
        return gettext("Yes")
    if value is False:
        return gettext("No")
    if isinstance(value, list):
        return ", ".join(history_value(v, field, labels) for v in value)
    if isinstance(value, str):
        if labels and (field, value) in labels:
            return labels[(field, value)]
        return translate(VALUE_LABELS[value]) if value in VALUE_LABELS else value
    return str(value)


def postal_address(authority) -> str:
    """"Street, postal code city", leaving out the parts that are empty; "—" if all are."""
    town = " ".join(part for part in (authority.postal_code, authority.city) if part)
    return ", ".join(part for part in (authority.street_address, town) if part) or "—"


def init_app(app):
    from . import policy
    from .history import action_label, field_label

    # ``policy``: the row partials ask it what their user may do with each row, the one rule
    # the views and operations keep too (never re-derived in a template).
    app.jinja_env.globals.update(field_attrs=field_attrs, get_locale=get_locale, is_htmx=is_htmx, policy=policy)
    app.jinja_env.filters.update(
        action_label=action_label, field_label=field_label, history_value=history_value, postal_address=postal_address
    )
    app.jinja_env.filters.update(date=format_day, datetime=format_moment, iso=iso_moment, number=format_decimal)
    app.jinja_env.add_extension("jinja2.ext.do")
