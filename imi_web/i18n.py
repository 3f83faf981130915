"""Language choice (R-6.3): explicit choice, then the user's language, then Accept-Language."""

from datetime import datetime

import flask_babel
from babel import Locale
from babel import dates as babel_dates
from flask import current_app, has_request_context, request, session
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and jobs: mails choose their language explicitly
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("language")
    if chosen in languages:
        return chosen
    user = current_user._get_current_object()  # one proxy lookup, not four
    if user and user.is_authenticated and user.language in languages:
        return user.language
    return browser_locale()


def current_language() -> str:
    """The language of this request's interface: "lv" or "en"."""
    return str(flask_babel.get_locale())


def browser_locale() -> str:
    """The language the browser asks for, else the default: for a request without a user."""
    languages = current_app.config["LANGUAGES"]
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def translations():
    """This request's translations (Flask-Babel's, for its locale)."""
    return flask_babel.get_translations()


# Labels defined once at import and shown in the reader's language (menu, history): marked for
# extraction under the names ``N_`` and ``NP_`` (import them so), kept as msgids and
# translated when shown by ``translate``.
def mark(message: str) -> str:
    return message


def mark_in_context(context: str, message: str) -> tuple[str, str]:
    return (context, message)


def translate(label: str | tuple[str, str]) -> str:
    """A label marked with ``mark`` or ``mark_in_context``, in the request's language."""
    if isinstance(label, tuple):
        return translations().upgettext(*label)
    return translations().ugettext(label)


@pass_context
def _template_gettext(context, string, **variables):
    # Newstyle gettext (as Jinja's i18n extension makes it): autoescaped, ``%(name)s`` variables.
    # The translations come with the render's context (``template_translations``); macros
    # imported without context look them up.
    rv = (context.get(TRANSLATIONS) or translations()).ugettext(string)
    if context.eval_ctx.autoescape:
        rv = Markup(rv)
    # Formatting without variables changes a string only if it has a "%" (e.g. "%%").
    return rv % variables if variables or "%" in rv else rv


@pass_context
def _template_ngettext(context, singular, plural, num, **variables):
    variables.setdefault("num", num)
    rv = (context.get(TRANSLATIONS) or translations()).ungettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        rv = Markup(rv)
    return rv % variables


TRANSLATIONS = "_imi_translations"


def install_template_gettext(app) -> None:
    """Template ``_``, ``gettext`` and ``ngettext`` with the translations looked up once per
    render, from the render's context, in place of Flask-Babel's lookup per string (a page has
    dozens of strings). Kept because bench/ measured it worth keeping on the tabs (bench/README.md,
    "Optimisations, decided")."""
    # ``_`` too: Jinja's own ``_`` looks ``gettext`` up in the context and calls it, per string.
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext)

    @app.context_processor
    def template_translations():
        return {TRANSLATIONS: translations()}


# Dates and times in the reader's language and the installation's time zone (BABEL_DEFAULT_TIMEZONE).
# English is written day-month-year, as in Britain and Ireland ("6 Dec 2026, 05:47"), not in
# the US pattern of Babel's plain "en" (12/6/26, 5:47 AM).
FORMATTING_LOCALES = {"en": "en_GB"}


def _formatting_locale():
    language = str(flask_babel.get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
    return Locale.parse(FORMATTING_LOCALES.get(language, language))


def format_day(value, width: str = "medium") -> str:
    """A date: "6 Dec 2026" / "2026. g. 6. dec." (medium), "6 December 2026" (long)."""
    if value is None:
        return ""
    locale = _formatting_locale()
    if isinstance(value, datetime):
        value = value.astimezone(flask_babel.get_timezone()).date()
    if width == "long":
        return babel_dates.format_date(value, "long", locale=locale)
    return babel_dates.format_skeleton("yMMMd", value, locale=locale)


def format_moment(value, _width: str = "medium") -> str:
    """A date and time to the minute: "6 Dec 2026, 05:47" / "2026. g. 6. dec. 05:47"."""
    if value is None:
        return ""
    locale = _formatting_locale()
    local = value.astimezone(flask_babel.get_timezone())
    day = babel_dates.format_skeleton("yMMMd", local, locale=locale)
    time = babel_dates.format_time(local, "short", locale=locale)
    return locale.datetime_formats["medium"].format(time, day)


def iso_moment(value) -> str:
    """The machine-readable form for ``<time datetime>``: seconds, no microseconds."""
    return value.isoformat(timespec="seconds") if isinstance(value, datetime) else value.isoformat()
