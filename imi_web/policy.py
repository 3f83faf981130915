"""Who may do what: one function per action, used by every view, page and partial alike.

Each function takes the acting user (and the objects concerned) and answers yes or no;
views call ``require(...)`` which aborts with 403. The loading step of a view calls
``require_visible(...)`` instead: an object the user may not see at all (another country,
outside the delegation) answers exactly like one that does not exist, 404 (issue 15); a 403
is for an action on an object the user may see.

Some answers depend on the object's state too (an invitation still open, a registration
awaiting validation, a user who has a second factor). A page offers an action only where the
whole function says yes (templates ask it through the ``policy`` global, or get its answer
from the view); the view's loading step checks who (404/403), and the operation refuses a
wrong state with the same predicate (422, or 409 for a registration decided meanwhile), since
the state may change between page and click.
"""

from flask import abort, current_app
from flask_login import current_user
from werkzeug.exceptions import NotFound

from .models import Authority, AuthorityStatus, DelegationScope, Invitation, InvitationStatus, User


def acting_user() -> User:
    """The logged-in user itself rather than Flask-Login's proxy, for views that ask several
    questions: every attribute read through the proxy looks the user up again."""
    return current_user._get_current_object()


def _active_admin(user: User) -> bool:
    return bool(user and user.is_authenticated and user.is_admin and user.authority.is_active)


def may_administer(user: User) -> bool:
    """Menu "Administration": administrators of an access-manager authority (R-1.1)."""
    return _active_admin(user) and user.authority.is_access_manager


def may_search_managed(user: User) -> bool:
    """Administration → "Managed authorities" and its export (R-3.0): access managers'
    administrators, for the authorities of their country."""
    return may_administer(user)


def may_view_access_overview(user: User) -> bool:
    """Administration → Access overview and its export: whoever sees "Managed authorities";
    a partial delegate sees only the modules of its delegation (R-1.2)."""
    return may_administer(user)


def may_view_every_module(user: User) -> bool:
    """Access overview: every module's column, except for a partial delegate, who sees only
    the modules of its delegation (R-1.2)."""
    authority = user.authority
    return authority.is_nimic or authority.access_manager_scope != DelegationScope.PARTIAL


def may_manage(user: User, authority: Authority) -> bool:
    """Manage ``authority`` as its access manager: same country only (R-1.3)."""
    return may_administer(user) and authority.country_id == user.authority.country_id


def may_administer_own(user: User, authority: Authority) -> bool:
    """Authority administrators manage their own authority (R-3.10)."""
    return _active_admin(user) and user.authority_id == authority.id


def may_edit_authority(user: User, authority: Authority) -> bool:
    """"Edit authority" (R-3.2, R-3.10): the country's access managers and its own admins."""
    return may_manage(user, authority) or may_administer_own(user, authority)


def may_register_authority(user: User) -> bool:
    """Menu "Administration" → "Register authority" (R-2.1)."""
    return may_administer(user)


def may_view_authority(user: User, authority: Authority) -> bool:
    """The details tabs (R-3.1): the country's access managers, and the authority's own admins."""
    return may_manage(user, authority) or may_administer_own(user, authority)


def may_manage_module(user: User, authority: Authority, module) -> bool:
    """Grant, edit, suspend, restore ``module`` for ``authority``: within the delegation (R-1.2)."""
    return may_manage(user, authority) and user.authority.manages_module(module)


def _receives_modules(authority) -> bool:
    """Only an active authority gets modules: an Authority, or a search result with its status."""
    return authority.status == AuthorityStatus.ACTIVE


def may_grant_modules(user: User, authority: Authority) -> bool:
    """Whether the "grant access" form is offered at all: an active authority, a manager."""
    return may_manage(user, authority) and _receives_modules(authority)


def may_grant_module(user: User, authority: Authority, module) -> bool:
    """Grant ``module`` to ``authority`` (R-1.2, R-4.2): the grant form is offered, and the
    module is within the delegation."""
    return may_grant_modules(user, authority) and may_manage_module(user, authority, module)


def may_grant_from_results(user: User, module) -> bool:
    """"Managed authorities" searched for those without access to ``module`` (R-4.2): a column
    of "Grant access" buttons, where the user's delegation covers the module."""
    return may_administer(user) and user.authority.manages_module(module)


def may_grant_to_result(user: User, module, result) -> bool:
    """The "Grant access" button of one ``result`` row of "Managed authorities":
    ``may_grant_module`` for a row the search took from the user's own country (so
    ``may_manage`` holds), which leaves the delegation and the authority's status."""
    return may_grant_from_results(user, module) and _receives_modules(result)


def may_manage_users(user: User, authority: Authority) -> bool:
    """Tab "Users" (R-3.6, R-3.10): the country's access managers and the authority's own admins."""
    return may_manage(user, authority) or may_administer_own(user, authority)


def may_assign_rights(user: User, authority: Authority, module) -> bool:
    """Give or take a module's user rights: own admins for all modules, delegates within scope."""
    return may_administer_own(user, authority) or may_manage_module(user, authority, module)


def may_search_directory(user: User) -> bool:
    """Menu "Authorities" → "Search": every logged-in user of an active authority (R-5.2)."""
    return bool(user and user.is_authenticated and user.authority.is_active)


def may_send_email(user: User) -> bool:
    """Menu "Send e-mail" (R-6.1): access managers' administrators."""
    return may_administer(user)


def may_view_security_events(user: User) -> bool:
    """Administration → Security events: administrators of the national IMI coordinator, for
    their own country."""
    return _active_admin(user) and user.authority.is_nimic


def must_have_second_factor(user: User) -> bool:
    """IMI_SECOND_FACTOR_REQUIRED: "all" users, "administrators" (of an access-manager
    authority, who may register and manage other authorities) or "none"."""
    required = current_app.config["SECOND_FACTOR_REQUIRED"]
    return required == "all" or (required == "administrators" and may_administer(user))


def may_log_in(user: User) -> bool:
    """Only the users of an active authority log in and keep their sessions: not while it awaits
    validation, after its rejection, nor while it is deactivated (R-2.2.4, R-5.1)."""
    return user.authority.is_active


def registration_complete(subject: User) -> bool:
    """The user has logged in and chosen a password: the username may change now (R-3.6)."""
    return subject.last_login_at is not None and not subject.password_is_temporary


def may_change_username(user: User, subject: User) -> bool:
    """Tab "Users" → "Change username" (R-3.6): once ``subject`` has completed its registration."""
    return may_manage_users(user, subject.authority) and registration_complete(subject)


def may_reset_password(user: User, subject: User) -> bool:
    """Tab "Users" → "Reset password" (R-3.7): not for a user who cannot log in, who would be
    mailed a password never to be used (issue 18)."""
    return may_manage_users(user, subject.authority) and may_log_in(subject)


def may_reset_second_factor(user: User, subject: User) -> bool:
    """Tab "Users" → "Reset second factor": whoever manages the users, for a user who has one."""
    return may_manage_users(user, subject.authority) and subject.has_second_factor


def require(allowed: bool) -> None:
    if not allowed:
        abort(403)


def authorized_user(may) -> User:
    """The acting user of a view whose question is about the user alone (``may(user)``): 403
    otherwise."""
    user = acting_user()
    require(may(user))
    return user


class NotVisible(NotFound):
    """An object out of the user's sight: the 404 of a nonexistent one, recorded as a refusal."""


def require_visible(allowed: bool) -> None:
    if not allowed:
        raise NotVisible()


def may_change_access_managers(user: User, authority: Authority) -> bool:
    """Add or remove access managers of ``authority`` (R-3.5): the country's access managers."""
    return may_manage(user, authority)


def may_delegate(user: User, authority: Authority) -> bool:
    """Grant, change or withdraw ``authority``'s access-manager capability (R-1.2):
    administrators of the active NIMIC of its country; never the NIMIC itself."""
    return (
        _active_admin(user)
        and user.authority.is_nimic
        and authority.country_id == user.authority.country_id
        and not authority.is_nimic
    )


def may_see_in_directory(user: User, authority: Authority) -> bool:
    """An authority's public entry in the directory (R-5.2): active authorities only."""
    return may_search_directory(user) and authority.is_active


def may_deactivate_authority(user: User, authority: Authority) -> bool:
    """Suspend all modules of ``authority`` and deactivate it (R-5.1): the country's access
    managers. Never a NIMIC, and never one's own authority (its admins would lock themselves
    out, and could not reactivate it: its users cannot log in while it is deactivated)."""
    return may_manage(user, authority) and not authority.is_nimic and authority.id != user.authority_id


def may_reactivate_authority(user: User, authority: Authority) -> bool:
    """Reactivate ``authority`` before its deletion (R-5.4): whoever may deactivate it."""
    return may_deactivate_authority(user, authority)


def may_invite(user: User) -> bool:
    """Menu "Administration" → "Registration invitations" (R-2.2.1): access managers' administrators."""
    return may_administer(user)


def may_manage_invitation(user: User, invitation) -> bool:
    """Resend or revoke an invitation: administrators of the inviting authority, same country (R-1.3)."""
    return (
        may_administer(user)
        and invitation.inviting_authority_id == user.authority_id
        and invitation.country_id == user.authority.country_id
    )


# The status of an invitation neither used nor revoked, expired or not; the operations that
# send it again or revoke it change it only from this status (a conditional UPDATE).
OPEN_INVITATION = InvitationStatus.SENT


def invitation_is_open(invitation: Invitation) -> bool:
    """An invitation not yet used nor revoked, expired or not: it may be sent again (with a new
    expiry) or revoked."""
    return invitation.status == OPEN_INVITATION


def may_resend_invitation(user: User, invitation: Invitation) -> bool:
    """"Send again": a new link for an open invitation, also an expired one (R-2.2.1)."""
    return may_manage_invitation(user, invitation) and invitation_is_open(invitation)


def may_revoke_invitation(user: User, invitation: Invitation) -> bool:
    """"Revoke": end an open invitation, also an expired one, so that "Send again" cannot
    revive it (R-2.2.1)."""
    return may_manage_invitation(user, invitation) and invitation_is_open(invitation)


def may_view_registrations(user: User) -> bool:
    """"My tasks" → "For validation" (R-2.2.4): the registrations made through the invitations
    of the user's own access-manager authority."""
    return may_invite(user)


def may_validate(user: User, invitation) -> bool:
    """"My tasks" → "For validation" (R-2.2.4): review a registration made through an invitation
    of the user's own access-manager authority (and decide it while it awaits validation)."""
    return may_manage_invitation(user, invitation)


# The status of an invitation whose registration awaits validation; validating or rejecting
# changes it only from this status (a conditional UPDATE).
AWAITING_VALIDATION = InvitationStatus.REGISTERED


def awaits_validation(invitation: Invitation) -> bool:
    """A registration neither validated nor rejected yet."""
    return invitation.status == AWAITING_VALIDATION


def may_decide_registration(user: User, invitation: Invitation) -> bool:
    """Correct, validate or reject a registration (R-2.2.4, R-2.2.5): whoever may review it,
    while it awaits validation."""
    return may_validate(user, invitation) and awaits_validation(invitation)
