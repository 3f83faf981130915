"""The demo data set (R-6.5): realistic, every status present, consistent, idempotent, usable."""

import pytest
import sqlalchemy as sa

from imi_web.demo import DEMO_LOGINS, DEMO_PASSWORD, DEMO_TEMPORARY_PASSWORD, load_demo
from imi_web.models import (
    AccessManagerLink,
    AccessStatus,
    Authority,
    AuthorityStatus,
    ClassificationList,
    Country,
    DelegationScope,
    HistoryEntry,
    Invitation,
    InvitationStatus,
    Module,
    ModuleAccess,
    ModuleRole,
    PasswordStatus,
    User,
    UserStatus,
    utcnow,
)
from tests.conftest import BACKENDS

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


def count(db, model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def table_counts(db):
    with db.engine.connect() as conn:
        return {
            table.name: conn.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }


@pytest.fixture
def demo(db):
    lines = load_demo()
    db.session.expire_all()
    return lines


def lv_authorities(db):
    return db.session.scalars(
        sa.select(Authority).join(Country).where(Country.code == "LV").order_by(Authority.id)
    ).all()


def test_reference_data(demo, db):
    countries = {c.code: c for c in db.session.scalars(sa.select(Country))}
    assert {"LV", "LT", "EE"} <= set(countries)
    assert (countries["LV"].name_lv, countries["LV"].name_en) == ("Latvija", "Latvia")
    assert countries["EE"].name_lv == "Igaunija"
    for country in countries.values():
        nimics = db.session.scalars(
            sa.select(Authority).where(Authority.country_id == country.id, Authority.is_nimic.is_(True))
        ).all()
        assert len(nimics) == 1
        assert nimics[0].access_manager_scope == DelegationScope.FULL

    modules = db.session.scalars(sa.select(Module)).all()
    assert len(modules) == 6
    assert any(m.is_information_request for m in modules)
    assert any(not m.is_information_request for m in modules)
    assert any(m.linked_coordinator_required for m in modules)
    for module in modules:
        assert 2 <= len(module.rights) <= 4
        assert module.name_lv and module.name_en and module.name_lv != module.name_en
        assert module.classification_list is not None and module.classification_list.entries
    general = db.session.scalars(sa.select(ClassificationList).where(ClassificationList.module_id.is_(None))).all()
    assert 1 <= len(general) <= 2
    assert all(clist.entries for clist in general)


def test_latvian_authorities(demo, db):
    authorities = lv_authorities(db)
    assert len(authorities) >= 40
    nimic = next(a for a in authorities if a.is_nimic)
    assert nimic.official_name == "Ekonomikas ministrija"
    assert any("ā" in a.official_name or "ī" in a.official_name for a in authorities)  # real diacritics
    cities = {a.city for a in authorities}
    assert {"Rīga", "Jelgava", "Liepāja", "Daugavpils", "Valmiera", "Ventspils"} <= cities
    for authority in authorities:
        assert authority.informal_name and authority.phone and authority.postal_code and authority.street_address
        assert authority.email.endswith(".lv.example") and authority.website.startswith("https://")
        assert authority.classification_entries

    delegates = [a for a in authorities if a.access_manager_scope is not None and not a.is_nimic]
    scopes = {a.access_manager_scope for a in delegates}
    assert scopes == {DelegationScope.FULL, DelegationScope.PARTIAL}
    for delegate in delegates:
        if delegate.access_manager_scope == DelegationScope.PARTIAL:
            assert delegate.delegated_modules
        else:
            assert not delegate.delegated_modules

    by_status = {}
    for authority in authorities:
        by_status.setdefault(authority.status, []).append(authority)
    (deactivated,) = by_status[AuthorityStatus.DEACTIVATED]
    age = utcnow() - deactivated.deactivated_at
    assert 50 <= age.days <= 70
    assert deactivated.module_accesses
    assert all(access.status == AccessStatus.SUSPENDED for access in deactivated.module_accesses)
    (awaiting,) = by_status[AuthorityStatus.AWAITING_VALIDATION]
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.authority_id == awaiting.id))
    assert invitation.status == InvitationStatus.REGISTERED
    suspended_on_active = [
        access
        for authority in by_status[AuthorityStatus.ACTIVE]
        for access in authority.module_accesses
        if access.status == AccessStatus.SUSPENDED
    ]
    assert len(suspended_on_active) == 1 and suspended_on_active[0].suspended_at is not None

    # Access managers: the NIMIC and the delegates manage; some authorities have two managers.
    links = db.session.scalars(sa.select(AccessManagerLink)).all()
    managers_of = {}
    for link in links:
        assert link.manager.is_access_manager
        assert link.manager.country_id == link.managed.country_id
        if link.manager.access_manager_scope == DelegationScope.PARTIAL:  # manages its modules' authorities
            assert {a.module for a in link.managed.module_accesses} & set(link.manager.delegated_modules)
        managers_of.setdefault(link.managed_authority_id, set()).add(link.manager_authority_id)
    assert any(len(m) >= 2 for m in managers_of.values())
    assert {nimic.id} | {d.id for d in delegates} <= set().union(*managers_of.values())
    for authority in authorities:
        if authority.status != AuthorityStatus.AWAITING_VALIDATION and not authority.is_nimic:
            assert authority.id in managers_of, authority.official_name
    assert any(a.country.code == "LT" and not a.is_nimic for a in db.session.scalars(sa.select(Authority)))
    assert any(a.country.code == "EE" and not a.is_nimic for a in db.session.scalars(sa.select(Authority)))


def test_module_access_is_consistent(demo, db):
    accesses = db.session.scalars(sa.select(ModuleAccess)).all()
    roles = {access.role for access in accesses}
    assert roles == {ModuleRole.COORDINATOR, ModuleRole.AUTHORITY}
    linked = 0
    for access in accesses:
        coordinator = access.linked_coordinator
        if access.role == ModuleRole.AUTHORITY and access.module.linked_coordinator_required:
            assert coordinator is not None, (access.authority.official_name, access.module.code)
        if coordinator is not None:
            linked += 1
            assert access.role == ModuleRole.AUTHORITY
            assert coordinator.country_id == access.authority.country_id
            assert coordinator.is_active
            their = db.session.scalar(
                sa.select(ModuleAccess).where(
                    ModuleAccess.authority_id == coordinator.id, ModuleAccess.module_id == access.module_id
                )
            )
            assert their.role == ModuleRole.COORDINATOR and their.status == AccessStatus.ACTIVE
        settings = (access.approval_required, access.allocation_by_coordinator, access.may_refuse_requests)
        if access.module.is_information_request:
            assert None not in settings
        else:
            assert settings == (None, None, None)
        for entry in access.classification_entries:
            assert entry.classification_list.module_id == access.module_id
    assert linked >= 20


def test_users_cover_every_status(demo, db):
    users = db.session.scalars(sa.select(User)).all()
    assert 140 <= len(users) <= 170
    assert {u.status for u in users} == set(UserStatus)
    assert {u.password_status() for u in users} == set(PasswordStatus)
    assert len({u.username for u in users}) == len(users)
    assert all(u.username == u.username.lower() for u in users)
    assert any("ņ" in u.surname or "ā" in u.first_name for u in users)
    for user in users:
        assert user.email.endswith(".example")  # RFC 2606: never delivered
        if user.password_status() == PasswordStatus.BLOCKED:
            assert user.failed_login_count == 5
        if user.password_status() == PasswordStatus.EXPIRED:
            # A chosen password after six months, a temporary one after 7 days (issue 14).
            assert (utcnow() - user.password_set_at).days >= (7 if user.password_is_temporary else 182)
        if user.status == UserStatus.NEW:
            assert user.password_is_temporary
    for authority in db.session.scalars(sa.select(Authority)):
        admins = [u for u in authority.users if u.is_admin]
        assert admins, authority.official_name
        active_rights = {
            right for access in authority.module_accesses if access.is_active for right in access.module.rights
        }
        for admin in admins:
            assert active_rights <= set(admin.module_rights)
        for user in authority.users:
            assert {r.module_id for r in user.module_rights} <= {a.module_id for a in authority.module_accesses}
    plain = [u for u in users if not u.is_admin]
    assert any(u.module_rights for u in plain)
    assert any(set(u.module_rights) < {r for a in u.authority.module_accesses for r in a.module.rights} for u in plain)


def test_history_records_the_load(demo, db):
    entry = db.session.scalar(sa.select(HistoryEntry).where(HistoryEntry.action == "demo.loaded"))
    assert entry is not None and entry.actor_user_id is None
    assert entry.changes["users"][1] >= 140
    assert db.session.scalar(
        sa.select(sa.func.count()).where(HistoryEntry.action == "authority.registered")
    ) >= 40


def test_second_run_adds_nothing_and_prints_the_same_logins(demo, db):
    before = table_counts(db)
    again = load_demo()
    assert table_counts(db) == before
    assert again[0] == "Demo data already present: nothing was added."
    assert again[1:] == demo[1:]


def test_logins_are_printed_and_work(demo, db, client):
    text = "\n".join(demo)
    for login in DEMO_LOGINS:
        password = DEMO_TEMPORARY_PASSWORD if login.temporary else DEMO_PASSWORD
        line = next(line for line in demo if line.split()[:1] == [login.username])
        assert password in line
        user = db.session.scalar(sa.select(User).where(User.username == login.username))
        assert user.is_admin == login.is_admin
        assert user.authority.is_active
    assert "demo.nimic" in text

    response = client.login("demo.nimic", DEMO_PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "Bērziņš" in home.get_data(as_text=True)
    client.logout()

    response = client.login("demo.new", DEMO_TEMPORARY_PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/password"


def test_a_changed_password_is_reported(demo, db):
    user = db.session.scalar(sa.select(User).where(User.username == "demo.user"))
    user.password_hash = db.session.scalar(
        sa.select(User.password_hash).where(User.password_hash != user.password_hash).limit(1)
    )
    db.session.commit()
    line = next(line for line in load_demo() if line.split()[:1] == ["demo.user"])
    assert DEMO_PASSWORD not in line and "changed" in line


def test_the_demo_command(app, db):
    result = app.test_cli_runner().invoke(args=["imi", "demo"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Demo data loaded:")
    for login in DEMO_LOGINS:
        assert login.username in result.output
    assert DEMO_PASSWORD in result.output and DEMO_TEMPORARY_PASSWORD in result.output
    assert count(db, User) >= 140
    again = app.test_cli_runner().invoke(args=["imi", "demo"])
    assert again.exit_code == 0
    assert "nothing was added" in again.output


def test_loads_next_to_existing_data(db, factory):
    """After the operator's bootstrap and module, and with a planned username taken, it still fits."""
    from imi_web.demo import AUTHORITIES, plan_users
    from imi_web.operator import add_module, bootstrap

    nimic, operator_admin, _password = bootstrap(
        country_code="LV", authority_name="Ekonomikas ministrija (IMI)", first_name="Anna", surname="Operatore",
        email="anna@example.lv",
    )
    add_module(
        code="SVC", name_lv="Pakalpojumi", name_en="Services", information_request=True,
        linked_coordinator_required=False, classification=[], rights=[("SEND", "Sūtīt", "Send")],
    )
    taken = next(spec for spec in plan_users() if spec.is_admin and spec.login is None and spec.authority != "em")
    stranger = factory.user(authority=factory.authority(name="Sveša iestāde"), username=taken.username)
    factory.commit()

    lines = load_demo()
    db.session.expire_all()
    assert lines[0].startswith("Demo data loaded:")
    lv_nimics = db.session.scalars(
        sa.select(Authority).join(Country).where(Country.code == "LV", Authority.is_nimic.is_(True))
    ).all()
    assert [a.id for a in lv_nimics] == [nimic.id]  # the bootstrapped NIMIC is reused
    demo_nimic = db.session.scalar(sa.select(User).where(User.username == "demo.nimic"))
    assert demo_nimic.authority_id == nimic.id
    assert count(db, Module) == 6
    assert db.session.get(User, stranger.id).authority.official_name == "Sveša iestāde"
    moved = db.session.scalar(sa.select(User).where(User.username == taken.username + ".demo"))
    assert moved is not None and moved.is_admin
    key_of = {spec.key: spec for spec in AUTHORITIES}
    assert moved.authority.official_name == key_of[taken.authority].official_name

    before = table_counts(db)
    assert load_demo()[0] == "Demo data already present: nothing was added."
    assert table_counts(db) == before
