"""Retiring an authority on tab "Authority" (R-5.1, R-5.4): suspend all modules, deactivate
(sessions end, invitations revoked, deletion date and countdown shown), reactivate, restore."""

import secrets
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
import time_machine

from imi_web.models import (
    AccessStatus,
    Authority,
    AuthorityStatus,
    HistoryEntry,
    Invitation,
    InvitationStatus,
    ModuleAccess,
    ModuleRole,
    OutboxMessage,
    User,
    UserSession,
    utcnow,
)
from tests.conftest import BACKENDS, Client, Factory

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


def invitation(db, world, inviter, status=InvitationStatus.SENT, **kw):
    item = Invitation(
        country_id=inviter.country_id,
        inviting_authority_id=inviter.id,
        email=f"{secrets.token_hex(3)}@example.lv",
        suggested_name="Uzaicinātā iestāde",
        token_hash=secrets.token_hex(32),
        status=status,
        expires_at=utcnow() + timedelta(days=30),
        **kw,
    )
    db.session.add(item)
    return item


@pytest.fixture
def retiring(world, db, factory):
    """Jelgavas būvvalde (managed by the NIMIC) with active access to SVC and PQ, suspended ECOM,
    two pending invitations it sent and one already used."""
    plain = world.plain
    db.session.add_all(
        [
            ModuleAccess(authority=plain, module=world.svc, role=ModuleRole.AUTHORITY),
            ModuleAccess(authority=plain, module=world.pq, role=ModuleRole.AUTHORITY, linked_coordinator=world.coordinator),
            ModuleAccess(authority=plain, module=world.ecom, role=ModuleRole.AUTHORITY, status=AccessStatus.SUSPENDED),
        ]
    )
    invitation(db, world, plain)
    invitation(db, world, plain)
    invitation(db, world, plain, status=InvitationStatus.VALIDATED)
    other = invitation(db, world, world.nimic)  # another authority's: untouched
    factory.commit()
    return plain, other


def fresh(db, model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def statuses(db, authority):
    db.session.expire_all()
    return {
        access.module.code: access.status.value
        for access in db.session.scalars(sa.select(ModuleAccess).where(ModuleAccess.authority_id == authority.id))
    }


def url(authority, action):
    return f"/authorities/{authority.id}/authority/{action}"


def test_deactivation_is_refused_while_modules_are_active(world, retiring, login, db):
    plain, _ = retiring
    client = login("nimic.admin")
    page = client.get(f"/authorities/{plain.id}/authority").get_data(as_text=True)
    assert "Access to these modules is still active: PQ, SVC." in page
    assert "Suspend all modules" in page
    assert "Deactivate authority…" not in page  # no way to the confirmation yet

    for htmx in (False, True):
        response = client.post(url(plain, "deactivate"), htmx=htmx)
        assert response.status_code == 422
        body = response.get_data(as_text=True)
        assert "Suspend access to all modules before you deactivate the authority." in body
        assert "Suspend all modules" in body
        assert ("<html" in body) is not htmx
    assert fresh(db, Authority, plain.id).status == AuthorityStatus.ACTIVE
    assert db.session.scalar(sa.select(HistoryEntry).where(HistoryEntry.action == "authority.deactivated")) is None


def test_suspend_all_suspends_each_with_history(world, retiring, login, db):
    plain, _ = retiring
    client = login("nimic.admin")
    response = client.post(url(plain, "suspend-all"), htmx=True)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body and 'id="retirement"' in body
    assert "Access to 2 modules has been suspended." in body
    assert "Deactivate authority…" in body  # the way on is open now
    assert statuses(db, plain) == {"SVC": "suspended", "PQ": "suspended", "ECOM": "suspended"}
    entries = db.session.scalars(
        sa.select(HistoryEntry).where(HistoryEntry.action == "module_access.suspended").order_by(HistoryEntry.id)
    ).all()
    assert sorted(e.subject_label for e in entries) == ["PQ", "SVC"]
    assert all(e.actor_user_id == world.nimic_admin.id and e.changes == {"status": ["active", "suspended"]} for e in entries)

    # Without JavaScript: a redirect to the tab, the message on the page.
    again = client.post(url(plain, "suspend-all"))
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/authorities/{plain.id}/authority")


def test_a_partial_delegate_suspends_only_its_modules(world, retiring, login, db):
    plain, _ = retiring
    client = login("partial.admin")  # delegated PQ only
    body = client.post(url(plain, "suspend-all"), htmx=True).get_data(as_text=True)
    assert "Access to 1 module has been suspended." in body
    assert "Access to these modules is still active: SVC." in body
    assert "Your access-manager delegation does not cover these modules" in body
    assert "Suspend all modules" not in body
    assert statuses(db, plain) == {"SVC": "active", "PQ": "suspended", "ECOM": "suspended"}
    assert client.post(url(plain, "deactivate")).status_code == 422


def test_deactivate_with_confirmation_ends_sessions_and_revokes_invitations(world, retiring, login, db, app):
    plain, other = retiring
    own = login("plain.admin")  # the authority's own admin, logged in before
    assert own.get(f"/authorities/{plain.id}/authority").status_code == 200
    assert sessions_of(db, world.plain_admin) == 1
    client = login("nimic.admin")
    client.post(url(plain, "suspend-all"))

    # The confirmation step: a page of its own (no JavaScript needed), and the htmx section.
    page = client.get(url(plain, "deactivate"))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<html" in text and f"Deactivate {plain.official_name}?" in text
    assert f'action="/authorities/{plain.id}/authority/deactivate"' in text
    partial = client.get(url(plain, "deactivate"), htmx=True).get_data(as_text=True)
    assert "<html" not in partial and "Its users are logged out at once" in partial
    assert fresh(db, Authority, plain.id).status == AuthorityStatus.ACTIVE  # a GET changes nothing

    before = utcnow()
    response = client.post(url(plain, "deactivate"))
    assert response.status_code == 303
    authority = fresh(db, Authority, plain.id)
    assert authority.status == AuthorityStatus.DEACTIVATED
    assert before <= authority.deactivated_at <= utcnow()
    entry = db.session.scalar(sa.select(HistoryEntry).where(HistoryEntry.action == "authority.deactivated"))
    assert entry.actor_user_id == world.nimic_admin.id and entry.changes == {"status": ["active", "deactivated"]}

    # Sessions end: the admin's session is gone, and logging in again is refused.
    assert sessions_of(db, world.plain_admin) == 0
    ended = own.get(f"/authorities/{plain.id}/authority")
    assert ended.status_code == 303 and "/login" in ended.headers["Location"]
    assert Client(app.test_client()).login("plain.admin", Factory.PASSWORD).status_code != 303

    # Pending invitations it sent are revoked (with history); used ones and others' stay.
    invitations = db.session.scalars(sa.select(Invitation).order_by(Invitation.id)).all()
    assert [i.status.value for i in invitations] == ["revoked", "revoked", "validated", "sent"]
    assert fresh(db, Invitation, other.id).status == InvitationStatus.SENT
    revoked = db.session.scalars(sa.select(HistoryEntry).where(HistoryEntry.action == "invitation.revoked")).all()
    assert len(revoked) == 2 and all(e.changes == {"status": ["sent", "revoked"]} for e in revoked)

    tab = client.get(f"/authorities/{plain.id}/authority").get_data(as_text=True)
    assert "The authority has been deactivated and its users have been logged out." in tab
    assert "2 pending invitations have been revoked." in tab
    assert "Deletion date:" in tab and "days left" in tab
    assert "Reactivate authority" in tab


def test_an_invitation_the_authority_registers_through_is_revoked_too(world, retiring, login, db):
    plain, _ = retiring
    pending = invitation(db, world, world.nimic, authority_id=plain.id)
    db.session.commit()
    client = login("nimic.admin")
    client.post(url(plain, "suspend-all"))
    assert client.post(url(plain, "deactivate"), htmx=True).status_code == 204
    assert fresh(db, Invitation, pending.id).status == InvitationStatus.REVOKED


def test_htmx_deactivation_redirects_the_whole_page(world, retiring, login, db):
    plain, _ = retiring
    client = login("nimic.admin")
    client.post(url(plain, "suspend-all"), htmx=True)
    response = client.post(url(plain, "deactivate"), htmx=True)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/authorities/{plain.id}/authority"


def test_the_tab_shows_the_deletion_date_and_the_days_left(world, retiring, login, db):
    plain, _ = retiring
    authority = fresh(db, Authority, plain.id)
    authority.status = AuthorityStatus.DEACTIVATED
    # 31 March + 6 months: 30 September (the month is shorter), same time of day.
    authority.deactivated_at = datetime(2026, 3, 31, 9, 0, tzinfo=timezone.utc)
    db.session.commit()
    with time_machine.travel(datetime(2026, 9, 20, 9, 0, tzinfo=timezone.utc), tick=False):
        client = login("nimic.admin")
        body = client.get(f"/authorities/{plain.id}/authority").get_data(as_text=True)
        assert 'datetime="2026-09-30T09:00:00+00:00"' in body
        assert "30 September 2026" in body
        assert "(10 days left)" in body
        assert "Deactivated on 31 March 2026." in body
        world.nimic_admin.language = "lv"
        db.session.commit()
        lv = client.get(f"/authorities/{plain.id}/authority").get_data(as_text=True)
        assert "Dzēšanas datums:" in lv and "vēl 10 dienu" in lv and "2026. gada 30. septembris" in lv
    with time_machine.travel(datetime(2026, 9, 29, 9, 0, tzinfo=timezone.utc), tick=False):
        body = login("nimic.admin").get(f"/authorities/{plain.id}/authority").get_data(as_text=True)
        assert "(vēl 1 diena)" in body  # the admin chose Latvian above


def test_reactivate_then_restore_module_access(world, retiring, login, db, app):
    plain, _ = retiring
    own = login("plain.admin")  # a session from before the deactivation
    client = login("nimic.admin")
    client.post(url(plain, "suspend-all"))
    client.post(url(plain, "deactivate"))
    svc = db.session.scalar(sa.select(ModuleAccess).where(ModuleAccess.authority_id == plain.id, ModuleAccess.module_id == world.svc.id))
    # Module access cannot be restored while the authority is deactivated.
    refused = client.post(f"/authorities/{plain.id}/modules/{svc.id}/restore", htmx=True)
    assert refused.status_code == 422 and "Reactivate the authority" in refused.get_data(as_text=True)

    response = client.post(url(plain, "reactivate"))
    assert response.status_code == 303
    authority = fresh(db, Authority, plain.id)
    assert authority.status == AuthorityStatus.ACTIVE and authority.deactivated_at is None
    assert authority.deletion_reminder_sent_at is None
    entry = db.session.scalar(sa.select(HistoryEntry).where(HistoryEntry.action == "authority.reactivated"))
    assert entry.actor_user_id == world.nimic_admin.id and entry.changes == {"status": ["deactivated", "active"]}
    assert set(statuses(db, plain).values()) == {"suspended"}  # restored one by one on tab "Modules"
    tab = client.get(f"/authorities/{plain.id}/authority").get_data(as_text=True)
    assert "Restore access to the modules it should use on the tab" in tab

    assert client.post(f"/authorities/{plain.id}/modules/{svc.id}/restore", htmx=True).status_code == 200
    assert statuses(db, plain)["SVC"] == "active"
    # The sessions from before the deactivation stay ended; its users can log in again.
    assert own.get(f"/authorities/{plain.id}/authority").status_code == 303
    again = Client(app.test_client())
    assert again.login("plain.admin", Factory.PASSWORD).status_code == 303
    assert again.get(f"/authorities/{plain.id}/authority").status_code == 200


def test_reactivating_an_active_or_deactivating_a_deactivated_authority_is_refused(world, retiring, login, db):
    plain, _ = retiring
    client = login("nimic.admin")
    response = client.post(url(plain, "reactivate"), htmx=True)
    assert response.status_code == 422
    assert "Only a deactivated authority can be reactivated." in response.get_data(as_text=True)
    client.post(url(plain, "suspend-all"))
    client.post(url(plain, "deactivate"))
    response = client.post(url(plain, "deactivate"))
    assert response.status_code == 422
    assert "Only an active authority can be deactivated." in response.get_data(as_text=True)
    assert client.post(url(plain, "suspend-all"), htmx=True).status_code == 422
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(HistoryEntry).where(HistoryEntry.action == "authority.deactivated")
    ) == 1


def sessions_of(db, user) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(UserSession).where(UserSession.user_id == user.id))


def snapshot(db):
    db.session.expire_all()
    return (
        [(a.id, a.status, a.deactivated_at, a.version) for a in db.session.scalars(sa.select(Authority).order_by(Authority.id))],
        [(s.id, s.user_id) for s in db.session.scalars(sa.select(UserSession).order_by(UserSession.id))],
        [(m.id, m.status) for m in db.session.scalars(sa.select(ModuleAccess).order_by(ModuleAccess.id))],
        [(i.id, i.status) for i in db.session.scalars(sa.select(Invitation).order_by(Invitation.id))],
        db.session.scalar(sa.select(sa.func.count()).select_from(HistoryEntry)),
        db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)),
    )


@pytest.mark.parametrize(
    "who, state",
    [
        ("nimic.user", "active"),  # not an administrator
        ("plain.admin", "active"),  # its own admin, not an access manager
        ("ee.admin", "active"),  # an access manager of another country
        ("partial.admin:own", "active"),  # an access manager, on its own authority
        ("nimic.admin:own", "active"),  # the NIMIC is never deactivated
        ("nimic.user", "deactivated"),
        ("ee.admin", "deactivated"),
    ],
)
def test_who_may_not_gets_403_and_nothing_changes(world, retiring, login, db, who, state):
    """403 for those who see the authority; 404 for those who may not see it (issue 15)."""
    plain, _ = retiring
    target = {"partial.admin:own": world.partial, "nimic.admin:own": world.nimic}.get(who, plain)
    if state == "deactivated":
        authority = fresh(db, Authority, target.id)
        for access in authority.module_accesses:
            access.status = AccessStatus.SUSPENDED
        authority.status = AuthorityStatus.DEACTIVATED
        authority.deactivated_at = utcnow()
        db.session.commit()
    client = login(who.split(":")[0])
    before = snapshot(db)
    refused = 404 if who in ("nimic.user", "ee.admin") else 403
    for htmx in (False, True):
        path = url(target, "deactivate")
        assert client.get(path, htmx=htmx).status_code == refused, (who, path, htmx)
        for action in ("suspend-all", "deactivate", "reactivate"):
            path = url(target, action)
            assert client.post(path, htmx=htmx).status_code == refused, (who, path, htmx)
    assert snapshot(db) == before
    page = client.get(f"/authorities/{target.id}/authority")
    if page.status_code == 200:  # its own admins see the tab, but not the actions
        body = page.get_data(as_text=True)
        assert "Suspend all modules" not in body and "Deactivate authority" not in body
        assert "Reactivate authority" not in body


def test_posts_without_a_csrf_token_are_refused(world, retiring, login, db):
    plain, _ = retiring
    client = login("nimic.admin")
    before = snapshot(db)
    for action in ("suspend-all", "deactivate", "reactivate"):
        assert client.post(url(plain, action), csrf=False).status_code == 400
    assert snapshot(db) == before


def test_unknown_authority_is_404(world, login):
    client = login("nimic.admin")
    assert client.get("/authorities/999999/authority/deactivate").status_code == 404
    assert client.post("/authorities/999999/authority/reactivate").status_code == 404


def test_latvian_labels(world, retiring, login, db):
    plain, _ = retiring
    client = login("nimic.admin")
    lv = client
    world.nimic_admin.language = "lv"
    db.session.commit()
    client.post(url(plain, "suspend-all"))
    body = lv.get(url(plain, "deactivate")).get_data(as_text=True)
    assert "Deaktivizēt iestādi" in body
    client.post(url(plain, "deactivate"))
    body = lv.get(f"/authorities/{plain.id}/authority").get_data(as_text=True)
    assert "Aktivizēt iestādi" in body


def test_a_concurrent_change_is_refused_not_lost(world, retiring, login, db, monkeypatch, backend):
    """Someone else saved the authority in between (its version moved on): 422, nothing saved."""
    from imi_web.authorities import retirement_routes

    if backend != "postgresql":
        pytest.skip("a second writer while the request's transaction is open: PostgreSQL")
    plain, _ = retiring
    client = login("nimic.admin")
    client.post(url(plain, "suspend-all"))
    real = retirement_routes.deactivate_authority

    def meanwhile(actor, authority):
        with db.engine.begin() as other:  # another request, committed first
            other.execute(sa.update(Authority).where(Authority.id == authority.id).values(version=Authority.version + 1))
        return real(actor, authority)

    monkeypatch.setattr(retirement_routes, "deactivate_authority", meanwhile)
    response = client.post(url(plain, "deactivate"), htmx=True)
    assert response.status_code == 422
    assert "Someone else changed this authority meanwhile." in response.get_data(as_text=True)
    assert fresh(db, Authority, plain.id).status == AuthorityStatus.ACTIVE
