"""The policy functions (R-1.1, R-1.3, R-3.10) on which every area's views rely."""

from imi_web import policy
from imi_web.models import AuthorityStatus, DelegationScope


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
