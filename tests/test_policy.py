"""The policy functions (R-1.1, R-1.3, R-3.10) on which every area's views rely."""

from collections import namedtuple
from datetime import timedelta

from imi_web import policy
from imi_web.models import AuthorityStatus, DelegationScope, Invitation, InvitationStatus, utcnow


def test_administration_needs_admin_rights_in_an_access_manager(factory):
    nimic = factory.nimic("LV")
    delegate = factory.authority(access_manager_scope=DelegationScope.PARTIAL)
    plain = factory.authority()
    assert policy.may_administer(factory.user(nimic, is_admin=True))
    assert policy.may_administer(factory.user(delegate, is_admin=True))
    assert not policy.may_administer(factory.user(nimic, is_admin=False))
    assert not policy.may_administer(factory.user(plain, is_admin=True))
    assert policy.may_send_email(factory.user(nimic, is_admin=True))
    assert not policy.may_send_email(factory.user(plain, is_admin=True))


def test_access_managers_stay_in_their_country(factory):
    admin = factory.user(factory.nimic("LV"), is_admin=True)
    assert policy.may_manage(admin, factory.authority(country="LV"))
    assert not policy.may_manage(admin, factory.authority(country="EE"))


def test_authority_administrators_manage_only_their_own(factory):
    own = factory.authority()
    admin = factory.user(own, is_admin=True)
    assert policy.may_administer_own(admin, own)
    assert not policy.may_administer_own(admin, factory.authority())
    assert not policy.may_administer_own(factory.user(own, is_admin=False), own)


def test_deactivated_authorities_lose_everything(factory):
    nimic = factory.nimic("LV")
    admin = factory.user(nimic, is_admin=True)
    nimic.status = AuthorityStatus.DEACTIVATED
    assert not policy.may_administer(admin)
    assert not policy.may_search_directory(admin)


def test_editing_viewing_and_rights_belong_to_managers_and_own_administrators(factory):
    """Kills mutants that mutation testing found surviving (README "Tests"): each of the two
    ways in (access manager, own administrator) must work alone."""
    nimic = factory.nimic("LV")
    manager = factory.user(nimic, is_admin=True)
    plain = factory.authority()
    own_admin = factory.user(plain, is_admin=True)
    module = factory.module()
    for may in (policy.may_edit_authority, policy.may_view_authority):
        assert may(manager, plain)  # as access manager, not its own
        assert may(own_admin, plain)  # as its own administrator, not a manager
        assert not may(own_admin, factory.authority())
        assert not may(factory.user(plain, is_admin=False), plain)
    assert policy.may_assign_rights(own_admin, plain, module)
    assert policy.may_grant_modules(manager, plain)
    plain.status = AuthorityStatus.DEACTIVATED
    assert not policy.may_grant_modules(manager, plain)  # only an active authority gets modules


def test_second_factor_requirement_follows_the_setting(app, factory):
    admin = factory.user(factory.nimic("LV"), is_admin=True)
    user = factory.user(factory.authority())
    app.config["SECOND_FACTOR_REQUIRED"] = "all"
    assert policy.must_have_second_factor(admin) and policy.must_have_second_factor(user)
    app.config["SECOND_FACTOR_REQUIRED"] = "administrators"
    assert policy.must_have_second_factor(admin) and not policy.must_have_second_factor(user)
    app.config["SECOND_FACTOR_REQUIRED"] = "none"
    assert not policy.must_have_second_factor(admin)


def test_a_module_is_granted_within_the_delegation_to_an_active_authority(factory):
    svc, pq = factory.module("SVC"), factory.module("PQ")
    nimic_admin = factory.user(factory.nimic("LV"), is_admin=True)
    delegate = factory.authority(access_manager_scope=DelegationScope.PARTIAL)
    delegate.delegated_modules = [pq]
    delegate_admin = factory.user(delegate, is_admin=True)
    plain = factory.authority()
    assert policy.may_grant_module(nimic_admin, plain, svc) and policy.may_grant_module(nimic_admin, plain, pq)
    assert policy.may_grant_module(delegate_admin, plain, pq)
    assert not policy.may_grant_module(delegate_admin, plain, svc)  # outside the delegation
    assert not policy.may_grant_module(nimic_admin, factory.authority(country="EE"), svc)  # another country
    assert not policy.may_grant_module(factory.user(plain, is_admin=True), plain, svc)  # its own admin: no
    plain.status = AuthorityStatus.DEACTIVATED
    assert not policy.may_grant_module(nimic_admin, plain, svc)


def test_granting_from_the_search_results_asks_the_same_rule(factory):
    """"Managed authorities" without a module (R-4.2): the column where the delegation covers the
    module, the button on each active result."""
    svc, pq = factory.module("SVC"), factory.module("PQ")
    nimic_admin = factory.user(factory.nimic("LV"), is_admin=True)
    delegate = factory.authority(access_manager_scope=DelegationScope.PARTIAL)
    delegate.delegated_modules = [pq]
    delegate_admin = factory.user(delegate, is_admin=True)
    assert policy.may_grant_from_results(nimic_admin, svc)
    assert policy.may_grant_from_results(delegate_admin, pq) and not policy.may_grant_from_results(delegate_admin, svc)
    assert not policy.may_grant_from_results(factory.user(factory.authority(), is_admin=True), svc)
    assert not policy.may_grant_from_results(factory.user(delegate, is_admin=False), pq)
    Result = namedtuple("Result", "id status")  # a row of the search, not an Authority
    for status in AuthorityStatus:
        allowed = status == AuthorityStatus.ACTIVE
        assert policy.may_grant_to_result(nimic_admin, svc, Result(1, status)) is allowed, status
        authority = factory.authority(status=status)
        assert policy.may_grant_module(nimic_admin, authority, svc) is allowed, status
    assert not policy.may_grant_to_result(delegate_admin, svc, Result(1, AuthorityStatus.ACTIVE))


def test_only_users_of_an_active_authority_log_in(factory):
    user = factory.user(factory.authority())
    assert policy.may_log_in(user)
    for status in (AuthorityStatus.AWAITING_VALIDATION, AuthorityStatus.REJECTED, AuthorityStatus.DEACTIVATED):
        user.authority.status = status
        assert not policy.may_log_in(user), status


def test_the_actions_of_the_users_tab_follow_the_users_state(factory):
    nimic_admin = factory.user(factory.nimic("LV"), is_admin=True)
    plain = factory.authority()
    own_admin = factory.user(plain, is_admin=True)
    subject = factory.user(plain, temporary=True)
    stranger = factory.user(factory.authority(country="EE"), is_admin=True)
    ordinary = factory.user(plain)
    # The username changes once the user has logged in and chosen a password.
    assert not policy.registration_complete(subject)
    subject.last_login_at = utcnow()
    assert not policy.registration_complete(subject)  # logged in, but the password is still temporary
    subject.password_is_temporary = False
    assert policy.registration_complete(subject)
    subject.last_login_at = None
    assert not policy.registration_complete(subject)
    subject.last_login_at = utcnow()
    for manager in (nimic_admin, own_admin):
        assert policy.may_change_username(manager, subject)
        assert policy.may_reset_password(manager, subject)
        assert not policy.may_reset_second_factor(manager, subject)  # nothing to reset
    subject.has_second_factor = True
    assert policy.may_reset_second_factor(nimic_admin, subject) and policy.may_reset_second_factor(own_admin, subject)
    for other in (stranger, ordinary):
        for may in (policy.may_change_username, policy.may_reset_password, policy.may_reset_second_factor):
            assert not may(other, subject), (other, may)
    # No password for a user who cannot log in (issue 18).
    plain.status = AuthorityStatus.REJECTED
    assert not policy.may_reset_password(nimic_admin, subject)


def _invitation(authority, **kw):
    kw.setdefault("status", InvitationStatus.SENT)
    kw.setdefault("expires_at", utcnow() + timedelta(days=30))
    return Invitation(country_id=authority.country_id, inviting_authority_id=authority.id, email="x@x.example", **kw)


def test_an_open_invitation_may_be_sent_again_or_revoked_even_when_expired(factory):
    """One rule for the list's buttons and the operations: an invitation still "sent", expired
    or not; revoking an expired one is allowed (the operation always did)."""
    nimic = factory.nimic("LV")
    admin = factory.user(nimic, is_admin=True)
    for may in (policy.may_resend_invitation, policy.may_revoke_invitation):
        assert may(admin, _invitation(nimic))
        assert may(admin, _invitation(nimic, expires_at=utcnow() - timedelta(days=1)))
        for status in InvitationStatus:
            assert may(admin, _invitation(nimic, status=status)) is (status == policy.OPEN_INVITATION), (may, status)
        assert not may(factory.user(nimic, is_admin=False), _invitation(nimic))
        other = factory.authority(access_manager_scope=DelegationScope.FULL)
        assert not may(factory.user(other, is_admin=True), _invitation(nimic))  # not the inviting authority
        assert not may(admin, _invitation(other))


def test_a_registration_is_decided_while_it_awaits_validation(factory):
    nimic = factory.nimic("LV")
    admin = factory.user(nimic, is_admin=True)
    for status in InvitationStatus:
        invitation = _invitation(nimic, status=status)
        awaiting = status == InvitationStatus.REGISTERED
        assert policy.awaits_validation(invitation) is awaiting
        assert policy.may_validate(admin, invitation)  # the review itself: in every status
        assert policy.may_decide_registration(admin, invitation) is awaiting, status
    registered = _invitation(nimic, status=InvitationStatus.REGISTERED)
    assert not policy.may_decide_registration(factory.user(nimic, is_admin=False), registered)
    assert not policy.may_decide_registration(admin, _invitation(factory.nimic("EE"), status=InvitationStatus.REGISTERED))


def test_a_partial_delegate_sees_only_its_modules_in_the_overview(factory):
    assert policy.may_view_every_module(factory.user(factory.nimic("LV"), is_admin=True))
    assert policy.may_view_every_module(factory.user(factory.authority(access_manager_scope=DelegationScope.FULL), is_admin=True))
    delegate = factory.user(factory.authority(access_manager_scope=DelegationScope.PARTIAL), is_admin=True)
    assert not policy.may_view_every_module(delegate)
    delegate.authority.is_nimic = True  # a NIMIC covers every module, whatever its scope says
    assert policy.may_view_every_module(delegate)


def test_each_menu_entry_asks_the_question_of_its_page(app):
    """The menu shows an entry when the policy function that its view requires says yes: the
    same function, so the menu never offers a page that answers 403, nor hides one that works."""
    import inspect

    from imi_web.menu import MENU

    for section in MENU:
        for entry in section.entries:
            source = inspect.getsource(app.view_functions[entry.endpoint])
            name = entry.allowed.__name__
            assert f"policy.require(policy.{name}(" in source or f"policy.authorized_user(policy.{name})" in source, (
                entry.endpoint
            )
