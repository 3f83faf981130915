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
