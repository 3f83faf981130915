"""Operations of the tab "Management details": access managers (R-3.5) and delegation (R-1.2).

Plain functions: they take the acting user and explicit objects, change the session and
record history; the view commits once. A refusal raises ``Refused`` with messages per form
field, shown beside the fields.
"""

import sqlalchemy as sa
from flask import request
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

from .. import history, policy
from ..choices import module_choices
from ..extensions import db
from ..i18n import current_language as language
from ..inputs import db_int
from ..locking import lock_authority
from ..models import AccessManagerLink, Authority, AuthorityStatus, DelegationScope, HistoryEntry, Module, User
from ..refusals import Refused
from .forms import NO_DELEGATION, AccessManagerForm, DelegationForm
from .operations import access_managers, add_access_manager
from .tabs import tab

HISTORY_PER_PAGE = 25


# --- what the tab shows (every view of the tab, page or partial alike) ----------------------


@tab("management")
def management_context(authority: Authority, context: dict) -> dict:
    """Tab "Management details": the access managers, the delegation, the history, and what the
    acting user may change of them. The managers are ``unlocked`` for changes in edit mode, or
    while a form about them is being answered."""
    unlocked = bool(context["edit_mode"] or context.get("manager_form") or context.get("managers_error"))
    return {
        "managers": access_managers(authority),
        "admins": [user for user in authority.users if user.is_admin],
        "managers_unlocked": unlocked,
        "management": management_details(
            authority,
            manager_form=context.get("manager_form"),
            delegation_form=context.get("delegation_form"),
            editing_delegation=context.get("editing_delegation", False),
            unlocked=unlocked,
        ),
        **history_context(authority),
    }


def management_details(
    authority: Authority, manager_form=None, delegation_form=None, editing_delegation=False, unlocked=False
) -> dict:
    """The parts of the tab that depend on the current user's rights, decided by the policy.

    The add-manager form (and its query of candidates) only where the managers are ``unlocked``
    for changes (edit mode, or a form being answered); the delegation form only when asked for.
    """
    user = policy.acting_user()
    may_change = policy.may_change_access_managers(user, authority)
    may_delegate = policy.may_delegate(user, authority)
    details = {"may_change_managers": may_change, "may_delegate": may_delegate, "manager_form": None}
    if may_change and unlocked:
        manager_form = manager_form or AccessManagerForm(formdata=None)
        manager_form.manager.choices = [SelectChoice(a.id, a.official_name) for a in manager_candidates(authority)]
        details["manager_form"] = manager_form
    if may_delegate and (editing_delegation or delegation_form is not None):
        details["delegation_form"] = delegation_form or delegation_form_for(authority, formdata=None)
    return details


def delegation_form_for(authority: Authority, **kw) -> DelegationForm:
    form = DelegationForm(**kw)
    form.modules.choices = [SelectChoice(id_, label) for id_, label in module_choices()]
    if kw.get("formdata", True) is None:
        scope = authority.access_manager_scope
        form.scope.data = scope.value if scope else NO_DELEGATION
        form.modules.data = [m.id for m in authority.delegated_modules]
    return form


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
        "history_labels": history.code_labels(shown, language()),
        "history_page": page,
        "history_older": len(entries) > HISTORY_PER_PAGE,
    }


# --- operations ------------------------------------------------------------------------------


def _manager_link(authority: Authority, manager: Authority) -> AccessManagerLink | None:
    return db.session.scalar(
        sa.select(AccessManagerLink).where(
            AccessManagerLink.managed_authority_id == authority.id,
            AccessManagerLink.manager_authority_id == manager.id,
        )
    )


def manager_candidates(authority: Authority) -> list[Authority]:
    """Active access managers of the authority's country (NIMIC or delegated) not yet managing it."""
    current = sa.select(AccessManagerLink.manager_authority_id).where(
        AccessManagerLink.managed_authority_id == authority.id
    )
    return list(
        db.session.scalars(
            sa.select(Authority)
            .where(
                Authority.country_id == authority.country_id,
                Authority.status == AuthorityStatus.ACTIVE,
                sa.or_(Authority.is_nimic.is_(True), Authority.access_manager_scope.is_not(None)),
                Authority.id.not_in(current),
            )
            .order_by(Authority.is_nimic.desc(), Authority.official_name)
        )
    )


def add_manager(actor: User, authority: Authority, manager: Authority) -> AccessManagerLink:
    """Make ``manager`` an access manager of ``authority`` (R-3.5): an access manager of its country."""
    if manager.country_id != authority.country_id:
        raise Refused({"manager": [_l("The access manager must be an authority of the same country.")]})
    if not manager.is_access_manager or not manager.is_active:
        raise Refused({"manager": [_l("Only an active authority with the access-manager capability can be an access manager.")]})
    if _manager_link(authority, manager) is not None:
        raise Refused({"manager": [_l("This authority is already an access manager of the authority.")]})
    return add_access_manager(actor, authority, manager)


def remove_manager(actor: User, authority: Authority, manager: Authority) -> None:
    """Remove ``manager`` from the access managers of ``authority``; never the last one (R-3.5)."""
    link = _manager_link(authority, manager)
    if link is None:
        raise Refused({"manager": [_l("This authority is not an access manager of the authority.")]})
    # Counted under the authority's lock (see locking.py): two removals at the same moment
    # cannot both see another manager left.
    lock_authority(authority.id)
    others = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AccessManagerLink)
        .where(AccessManagerLink.managed_authority_id == authority.id, AccessManagerLink.id != link.id)
    )
    if others == 0:
        raise Refused({"manager": [_l("The last access manager of an authority cannot be removed.")]})
    db.session.delete(link)
    history.record_authority_change(
        "access_manager.removed",
        actor=actor,
        authority=authority,
        changes={"access_manager": [manager.official_name, None]},
    )


def _delegation_snapshot(authority: Authority) -> dict:
    return {
        "delegation": authority.access_manager_scope.value if authority.access_manager_scope else None,
        "delegated_modules": sorted(module.code for module in authority.delegated_modules),
    }


def set_delegation(
    actor: User, authority: Authority, scope: DelegationScope | None, modules: list[Module]
) -> Authority:
    """The NIMIC grants, narrows or withdraws the access-manager capability (R-1.2).

    ``scope`` None withdraws it; FULL covers every module; PARTIAL the listed ``modules``.
    The policies read the scope on every request, so a change applies at the next one.
    """
    if authority.is_nimic:
        raise Refused({"scope": [_l("The national IMI coordinator is always an access manager for all modules.")]})
    if authority.country_id != actor.authority.country_id:
        raise Refused({"scope": [_l("Access management can be delegated only to authorities of your country.")]})
    if scope == DelegationScope.PARTIAL and not modules:
        raise Refused({"modules": [_l("Choose at least one module for a delegation of chosen modules.")]})
    before = _delegation_snapshot(authority)
    authority.access_manager_scope = scope
    authority.delegated_modules = sorted(modules, key=lambda m: m.code) if scope == DelegationScope.PARTIAL else []
    changes = history.changes_between(before, _delegation_snapshot(authority))
    if changes:
        changes = {**{field: [before[field], before[field]] for field in before}, **changes}
        history.record_authority_change(
            "access_manager.delegation_changed",
            actor=actor,
            authority=authority,
            changes=changes,
        )
    return authority
