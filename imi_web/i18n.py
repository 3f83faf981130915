"""Language choice (R-6.3): explicit choice, then the user's language, then Accept-Language."""

import flask_babel
from flask import current_app, has_request_context, request, session
from flask_babel import _get_current_context as _babel_state
from flask_login import current_user


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and jobs: mails choose their language explicitly
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("language")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def translations():
    """This request's translations. Flask-Babel looks them up again on every ``gettext`` (three
    context lookups and the locale's name); a page has dozens of strings, so they are looked up
    once per locale and kept beside Flask-Babel's own per-request state (``force_locale`` and
    ``refresh`` give a new locale object, so a mail in another language is translated right)."""
    state = _babel_state()
    locale = flask_babel.get_locale()
    cached = getattr(state, "imi_translations", None) if state is not None else None
    if cached is None or cached[0] is not locale:
        cached = (locale, flask_babel.get_translations())
        if state is not None:
            state.imi_translations = cached
    return cached[1]


def install_template_gettext(app) -> None:
    """Template ``_``/``gettext``/``ngettext`` through ``translations()`` (same behaviour as
    Flask-Babel's, newstyle: autoescaped, ``%(name)s`` variables)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )
