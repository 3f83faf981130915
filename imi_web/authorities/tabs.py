"""The authority's tabs (R-3.1): which tabs there are, the "Edit authority" mode (R-3.2), and
the data each tab shows. Every area that renders a tab (authorities, users, management,
retirement) takes it from here."""

import sqlalchemy as sa
from flask import request, session
from flask_login import current_user
from sqlalchemy.orm import selectinload

from .. import history as history_module
from .. import policy
from ..extensions import db
from ..i18n import current_language as language
from ..inputs import db_int
from ..models import Authority, HistoryEntry, ModuleRight, User
from .module_tab import module_rows
from .operations import access_managers

TABS = ("authority", "classification", "modules", "users", "management")
HISTORY_PER_PAGE = 25

# "Edit authority" unlocks the data on the tabs "Classification", "Modules" and
# "Management details" too, until "Finish editing". The mode is remembered in the session
# per authority; it only decides what the tabs offer — each change is still authorized by the
# policy on its own route.
EDIT_MODE = "editing_authority"


def start_editing(authority: Authority) -> None:
    session[EDIT_MODE] = authority.id


def edit_mode(authority: Authority) -> bool:
    return session.get(EDIT_MODE) == authority.id and policy.may_edit_authority(policy.acting_user(), authority)


def tab_context(authority: Authority, tab: str, **extra) -> dict:
    context = {"authority": authority, "tab": tab, "tabs": TABS, "lang": language(), **extra}
    context["may_edit"] = policy.may_edit_authority(policy.acting_user(), authority)
    if tab == "modules":
        context.update(modules_context(authority))
    elif tab == "users":
        context["may_manage_users"] = policy.may_manage_users(current_user, authority)
        context["users"] = db.session.scalars(
            sa.select(User)
            .where(User.authority_id == authority.id)
            .options(selectinload(User.module_rights).joinedload(ModuleRight.module))
            .order_by(User.surname, User.first_name)
        ).all()
    elif tab == "management":
        context["managers"] = access_managers(authority)
        context["admins"] = [user for user in authority.users if user.is_admin]
        context.update(history_context(authority))
    return context


def history_context(authority: Authority) -> dict:
    """One page of the authority's update history, newest first (R-3.5): ``?history_page=N``."""
    page = max(db_int(request.args.get("history_page"), default=1), 1)
    entries = db.session.scalars(
        sa.select(HistoryEntry)
        .where(HistoryEntry.authority_id == authority.id)
        .order_by(HistoryEntry.created_at.desc(), HistoryEntry.id.desc())
        .limit(HISTORY_PER_PAGE + 1)
        .offset((page - 1) * HISTORY_PER_PAGE)
    ).all()
    shown = entries[:HISTORY_PER_PAGE]
    return {
        "history": shown,
        "history_labels": history_module.code_labels(shown, language()),
        "history_page": page,
        "history_older": len(entries) > HISTORY_PER_PAGE,
    }


def modules_context(authority: Authority) -> dict:
    """Tab Modules: the accesses as rows (``module_tab``), and the modules the user may grant."""
    user = policy.acting_user()
    accesses, without = module_rows(authority.id)
    grantable = []
    if policy.may_grant_modules(user, authority):
        grantable = [module for module in without if policy.may_manage_module(user, authority, module)]
    return {
        "accesses": accesses,
        "grantable": grantable,
        "may_manage": {a.id: policy.may_manage_module(user, authority, a.module) for a in accesses},
    }
