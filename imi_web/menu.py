"""The main menu (SPEC): Administration, My tasks, Authorities, Send e-mail, account.

An entry appears only when its page exists in this installation and the policy lets the
current user use it; areas add their pages as their features arrive.
"""

from dataclasses import dataclass, replace
from typing import Callable

from flask import current_app, request
from markupsafe import Markup
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from . import policy


@dataclass(frozen=True)
class Entry:
    label: object
    endpoint: str
    allowed: Callable
    # How many things wait there (a cheap COUNT), shown beside the label when not zero.
    count: Callable | None = None


@dataclass(frozen=True)
class Section:
    label: object
    entries: tuple


def _awaiting_validation(user) -> int:
    """Registrations awaiting validation by the user's authority (R-2.2.4): one COUNT query."""
    from .invitations.operations import awaiting_validation_count

    return awaiting_validation_count(user.authority_id)


def _with_count(entry: Entry) -> Entry:
    count = entry.count(current_user) if entry.count else 0
    if not count:
        return entry
    return replace(entry, label=Markup('{} <span class="menu-count">{}</span>').format(entry.label, count))


MENU = (
    Section(
        _l("Administration"),
        (
            Entry(_l("Register authority"), "authorities.create", policy.may_administer),
            Entry(_l("Managed authorities"), "authorities.index", policy.may_administer),
            Entry(_l("Registration invitations"), "invitations.index", policy.may_administer),
        ),
    ),
    Section(
        _l("My tasks"),
        (Entry(_l("For validation"), "validation.index", policy.may_administer, count=_awaiting_validation),),
    ),
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
        entries = [_with_count(e) for e in section.entries if e.endpoint in views and e.allowed(current_user)]
        if entries:
            sections.append((section, entries))
    return sections


def init_app(app):
    @app.context_processor
    def _menu():
        return {"menu_sections": visible_menu, "current_endpoint": lambda: request.endpoint}
