"""The main menu (SPEC): Administration, My tasks, Authorities, Send e-mail, account.

An entry appears only when its page exists in this installation and the policy lets the
current user use it; areas add their pages as their features arrive.
"""

from dataclasses import dataclass
from typing import Callable

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from . import policy


@dataclass(frozen=True)
class Entry:
    label: object
    endpoint: str
    allowed: Callable


@dataclass(frozen=True)
class Section:
    label: object
    entries: tuple


MENU = (
    Section(
        _l("Administration"),
        (
            Entry(_l("Register authority"), "authorities.create", policy.may_administer),
            Entry(_l("Managed authorities"), "authorities.index", policy.may_administer),
            Entry(_l("Registration invitations"), "invitations.index", policy.may_administer),
        ),
    ),
    Section(_l("My tasks"), (Entry(_l("For validation"), "validation.index", policy.may_administer),)),
    Section(_l("Authorities"), (Entry(_l("Search"), "directory.search", policy.may_search_directory),)),
    Section(_l("Send e-mail"), (Entry(_l("Send e-mail"), "mailing.compose", policy.may_send_email),)),
)


def visible_menu():
    """The sections and entries the current user may use, as (section, [entries])."""
    if not current_user.is_authenticated:
        return []
    views = current_app.view_functions
    sections = []
    for section in MENU:
        entries = [e for e in section.entries if e.endpoint in views and e.allowed(current_user)]
        if entries:
            sections.append((section, entries))
    return sections


def init_app(app):
    @app.context_processor
    def _menu():
        return {"menu_sections": visible_menu, "current_endpoint": lambda: request.endpoint}
