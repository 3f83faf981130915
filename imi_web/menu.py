"""The main menu (SPEC): Administration, My tasks, Authorities, Send e-mail, account.

An entry appears only when its page exists in this installation and the policy lets the
current user use it (the very function its view requires); areas add their pages as their
features arrive.
"""

from dataclasses import dataclass
from typing import Callable

from flask import current_app, request, url_for
from markupsafe import Markup

from . import policy
from .i18n import mark as N_  # a msgid translated when shown (``_l`` is always lazy_gettext)
from .i18n import translations


@dataclass(frozen=True)
class Entry:
    label: str  # the English msgid
    endpoint: str
    allowed: Callable
    # How many things wait there (a cheap COUNT), shown beside the label when not zero.
    count: Callable | None = None


@dataclass(frozen=True)
class Section:
    label: str  # the English msgid
    entries: tuple


def _awaiting_validation(user) -> int:
    """Registrations awaiting validation by the user's authority (R-2.2.4): one COUNT query."""
    from .tasks.operations import awaiting_validation_count

    return awaiting_validation_count(user.authority_id)


@dataclass(frozen=True)
class Link:
    """An entry as the menu shows it to this request: translated label, URL, current or not."""

    label: str
    href: str
    current: bool


def _link(entry: Entry, user, gettext, endpoint: str | None) -> Link:
    label = gettext(entry.label)
    count = entry.count(user) if entry.count else 0
    if count:
        label = Markup('{} <span class="menu-count">{}</span>').format(label, count)
    return Link(label, url_for(entry.endpoint), entry.endpoint == endpoint)


MENU = (
    Section(
        N_("Administration"),
        (
            Entry(N_("Register authority"), "authorities.create", policy.may_register_authority),
            Entry(N_("Managed authorities"), "authorities.index", policy.may_search_managed),
            Entry(N_("Access overview"), "access_overview.index", policy.may_view_access_overview),
            Entry(N_("Registration invitations"), "invitations.index", policy.may_invite),
            Entry(N_("Security events"), "security_log.index", policy.may_view_security_events),
        ),
    ),
    Section(
        N_("My tasks"),
        (Entry(N_("For validation"), "validation.index", policy.may_view_registrations, count=_awaiting_validation),),
    ),
    Section(N_("Authorities"), (Entry(N_("Search"), "directory.search", policy.may_search_directory),)),
    Section(N_("Send e-mail"), (Entry(N_("Send e-mail"), "send_email.compose", policy.may_send_email),)),
)


def visible_menu():
    """The sections and entries the current user may use, as (section label, [Link])."""
    user = policy.acting_user()  # the policy asks several questions per entry
    if not user.is_authenticated:
        return []
    views = current_app.view_functions
    gettext = translations().ugettext
    endpoint = request.endpoint
    sections = []
    for section in MENU:
        links = [_link(e, user, gettext, endpoint) for e in section.entries if e.endpoint in views and e.allowed(user)]
        if links:
            sections.append((gettext(section.label), links))
    return sections


def own_authority_link() -> Link | None:
    """"My authority": the tabs of the user's own authority, for its administrators (R-3.10)."""
    user = policy.acting_user()
    if not (user.is_authenticated and policy.may_administer_own(user, user.authority)):
        return None
    current = request.blueprint == "authorities" and (request.view_args or {}).get("authority_id") == user.authority_id
    href = url_for("authorities.show", authority_id=user.authority_id, tab="authority")
    return Link(translations().ugettext(N_("My authority")), href, current)


def init_app(app):
    @app.context_processor
    def _menu():
        return {
            "menu_sections": visible_menu,
            "own_authority_link": own_authority_link,
            "current_endpoint": lambda: request.endpoint,
        }
