"""The authority's tabs (R-3.1): which tabs there are, the "Edit authority" mode (R-3.2), and
a registry from each tab to the function that reads what it shows. Each of those functions
lives beside its tab's logic and registers itself with ``@tab(name)``:

- ``authority``: ``retirement.py`` (the deactivation section)
- ``classification``: nothing beyond the authority itself
- ``modules``: ``module_tab.py``
- ``users``: ``users/tab.py``
- ``management``: ``management.py``

Every area that renders a tab (authorities, users, management, retirement) takes its context
from ``tab_context``; templates get that data and never fetch their own."""

from collections.abc import Callable

from flask import session

from .. import policy
from ..i18n import current_language as language
from ..models import Authority

TABS = ("authority", "classification", "modules", "users", "management")

# "Edit authority" unlocks the data on the tabs "Classification", "Modules" and
# "Management details" too, until "Finish editing". The mode is remembered in the session
# per authority; it only decides what the tabs offer — each change is still authorized by the
# policy on its own route.
EDIT_MODE = "editing_authority"

TabContext = Callable[[Authority, dict], dict]
_CONTEXTS: dict[str, TabContext] = {}


def tab(name: str) -> Callable[[TabContext], TabContext]:
    """Register ``function(authority, context) -> dict`` as what tab ``name`` shows; it gets
    the common context (with the view's extras) and returns what to add to it."""
    if name not in TABS:
        raise ValueError(f"no tab {name!r}")

    def register(function: TabContext) -> TabContext:
        _CONTEXTS[name] = function
        return function

    return register


def start_editing(authority: Authority) -> None:
    session[EDIT_MODE] = authority.id


def finish_editing(authority: Authority) -> None:
    if session.get(EDIT_MODE) == authority.id:
        session.pop(EDIT_MODE)


def edit_mode(authority: Authority, may_edit: bool | None = None) -> bool:
    if session.get(EDIT_MODE) != authority.id:
        return False
    return policy.may_edit_authority(policy.acting_user(), authority) if may_edit is None else may_edit


def base_context(authority: Authority, tab: str, **extra) -> dict:
    """What every tab's templates get: the authority, the tab bar, the edit mode."""
    may_edit = policy.may_edit_authority(policy.acting_user(), authority)
    return {
        "authority": authority,
        "tab": tab,
        "tabs": TABS,
        "lang": language(),
        **extra,
        "may_edit": may_edit,
        "edit_mode": edit_mode(authority, may_edit),
    }


def tab_context(authority: Authority, tab: str, **extra) -> dict:
    """The whole context of tab ``tab``: the common part and what its registered function reads."""
    context = base_context(authority, tab, **extra)
    read = _CONTEXTS.get(tab)
    if read is not None:
        context.update(read(authority, context))
    return context
