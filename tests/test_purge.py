"""R-5.3: deactivated authorities are deleted 6 calendar months after deactivation, with their
users' personal data; a minimal deletion record stays in the history. The access managers are
reminded 14 days before, once. Safe to run repeatedly and on two servers at once."""

import json
import secrets
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
import time_machine

from imi_web import history, purge, security_events
from imi_web.authorities.retirement import add_months, deactivate_authority, reactivate_authority
from imi_web.extensions import db as _db
from imi_web.outbox import deliver_pending, queue_mail
from imi_web.models import (
    AccessManagerLink,
    AccessStatus,
    Authority,
    AuthorityStatus,
    ClassificationEntry,
    ClassificationList,
    DelegationScope,
    HistoryEntry,
    Invitation,
    InvitationStatus,
    ModuleAccess,
    ModuleRole,
    OutboxMessage,
    PasswordHistory,
    SecurityEvent,
    User,
    UserSession,
    utcnow,
)
from imi_web.models.authorities import (
    access_manager_module,
    authority_classification,
    module_access_classification,
)
from imi_web.models.people import user_module_right
from imi_web.purge import purge_authority, purge_deactivated, send_deletion_reminders
from imi_web.users.operations import delete_user
from tests.conftest import BACKENDS
from tests.fixtures.search import assert_name_postings_match

pytestmark = pytest.mark.parametrize("backend", BACKENDS)

# Deactivated on 31 March: six calendar months later is 30 September (a shorter month).
DEACTIVATED = datetime(2026, 3, 31, 9, 0, tzinfo=timezone.utc)
DUE = datetime(2026, 9, 30, 9, 0, tzinfo=timezone.utc)
PERSONAL = ("Pēteris", "Kļaviņš", "peteris@jelgava.example", "+371 2000 0001", "pklavins",
            "Zane", "Bērziņa", "zane@jelgava.example", "zberzina", "Vecais", "Lietotājs", "vecais@jelgava.example")


def test_calendar_months(backend):
    assert add_months(datetime(2026, 1, 15, 10, 30, tzinfo=timezone.utc), 6) == datetime(2026, 7, 15, 10, 30, tzinfo=timezone.utc)
    assert add_months(DEACTIVATED, 6) == DUE
    assert add_months(datetime(2026, 8, 31, tzinfo=timezone.utc), 6) == datetime(2027, 2, 28, tzinfo=timezone.utc)
    assert add_months(datetime(2027, 8, 31, tzinfo=timezone.utc), 6) == datetime(2028, 2, 29, tzinfo=timezone.utc)
    assert add_months(datetime(2026, 11, 30, tzinfo=timezone.utc), 3) == datetime(2027, 2, 28, tzinfo=timezone.utc)


@pytest.fixture
def clock():
    with time_machine.travel(DEACTIVATED - timedelta(days=30), tick=False) as traveller:
        yield traveller


@pytest.fixture
def land(factory, db, clock):
    """LV: the NIMIC and another access manager manage "Jelgavas būvvalde", deactivated at
    DEACTIVATED, with two users, module access, rights, invitations and history."""
    nimic = factory.nimic("LV")
    nimic_admin = factory.user(nimic, username="nimic.admin", is_admin=True, first_name="Līga", surname="Ozoliņa", language="lv")
    factory.user(nimic, username="nimic.user", first_name="Ilze", surname="Liepa")  # not an admin: no reminder
    manager = factory.authority(name="Rīgas pārvalde", access_manager_scope=DelegationScope.FULL)
    manager_admin = factory.user(manager, username="riga.admin", is_admin=True, first_name="Jānis", surname="Bērziņš")
    svc = factory.module("SVC")
    pq = factory.module("PQ")
    doomed = factory.authority(name="Jelgavas būvvalde", email="pasts@jelgava.example")
    admin = factory.user(doomed, username="pklavins", is_admin=True, first_name="Pēteris", surname="Kļaviņš",
                         email="peteris@jelgava.example", phone="+371 2000 0001")
    user = factory.user(doomed, username="zberzina", first_name="Zane", surname="Bērziņa", email="zane@jelgava.example")
    old = factory.user(doomed, username="vecais", first_name="Vecais", surname="Lietotājs", email="vecais@jelgava.example")
    admin.module_rights = list(svc.rights)
    admin.password_history.append(PasswordHistory(password_hash="x"))
    db.session.add_all(
        [
            AccessManagerLink(managed=doomed, manager=nimic),
            AccessManagerLink(managed=doomed, manager=manager),
            ModuleAccess(authority=doomed, module=svc, role=ModuleRole.COORDINATOR, status=AccessStatus.SUSPENDED),
        ]
    )
    # Another authority has it as linked coordinator; it manages a third one.
    other = factory.authority(name="Tukuma būvvalde")
    db.session.add(ModuleAccess(authority=other, module=svc, role=ModuleRole.AUTHORITY, linked_coordinator=doomed))
    managed = factory.authority(name="Dobeles būvvalde")
    db.session.add(AccessManagerLink(managed=managed, manager=doomed))
    for inviter, registering in ((doomed, None), (nimic, doomed)):
        db.session.add(
            Invitation(country_id=nimic.country_id, inviting_authority=inviter, authority=registering, email="inv@jelgava.example",
                       token_hash=secrets.token_hex(32), status=InvitationStatus.VALIDATED, expires_at=DEACTIVATED)
        )
    db.session.flush()
    history.record_user_change("user.registered", actor=nimic_admin, user=admin,
                               changes={"first_name": [None, "Pēteris"], "email": [None, admin.email], "phone": [None, admin.phone]})
    history.record_user_change("user.rights_changed", actor=admin, user=user, changes={"is_admin": [False, True]})
    # Its admin acted on another authority's history too (an actor snapshot elsewhere).
    history.record_authority_change("authority.updated", actor=admin, authority=other, changes={"phone": ["1", "2"]})
    history.record_user_change("user.registered", actor=admin, user=old, changes={"email": [None, old.email]})
    delete_user(admin, old)  # an earlier deletion: "user.deleted" names the user
    queue_mail(admin.email, "password_expiry", "en", first_name="Pēteris", days_left=3, expires_on="x")
    queue_mail(nimic_admin.email, "password_expiry", "lv", first_name="Līga", days_left=3, expires_on="x")
    db.session.commit()

    clock.move_to(DEACTIVATED)
    deactivate_authority(nimic_admin, doomed)
    db.session.commit()
    return dict(nimic=nimic, nimic_admin=nimic_admin, manager_admin=manager_admin, doomed=doomed, admin=admin,
                user=user, other=other, managed=managed, svc=svc, ids=[admin.id, user.id], doomed_id=doomed.id)


def count(db, model_or_table, *where):
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model_or_table).where(*where))


def history_text(db) -> str:
    db.session.rollback()
    rows = db.session.execute(
        sa.select(HistoryEntry.actor_name, HistoryEntry.authority_name, HistoryEntry.subject_label, HistoryEntry.changes)
    ).all()
    return json.dumps([list(row) for row in rows], ensure_ascii=False, default=str)


# --- boundaries, idempotence -------------------------------------------------------------------


def test_kept_one_day_before_purged_one_day_after(app, db, land, clock):
    clock.move_to(DUE - timedelta(days=1))
    assert purge_deactivated() == []
    clock.move_to(DUE - timedelta(seconds=1))
    assert purge_deactivated() == []
    assert count(db, Authority, Authority.id == land["doomed_id"]) == 1
    clock.move_to(DUE + timedelta(days=1))
    [deleted] = purge_deactivated()
    assert (deleted.id, deleted.official_name, deleted.users) == (land["doomed_id"], "Jelgavas būvvalde", 2)
    assert count(db, Authority, Authority.id == land["doomed_id"]) == 0


def test_the_deletion_date_itself_counts(app, db, land, clock):
    clock.move_to(DUE)
    assert [d.id for d in purge_deactivated()] == [land["doomed_id"]]


def test_an_ordinary_month_boundary(app, db, factory, clock):
    at = datetime(2026, 1, 15, 10, 0, tzinfo=timezone.utc)
    authority = factory.authority(status=AuthorityStatus.DEACTIVATED, deactivated_at=at)
    factory.commit()
    clock.move_to(datetime(2026, 7, 14, 10, 0, tzinfo=timezone.utc))
    assert purge_deactivated() == []
    clock.move_to(datetime(2026, 7, 16, 10, 0, tzinfo=timezone.utc))
    assert [d.id for d in purge_deactivated()] == [authority.id]


def test_the_months_are_configurable(app, db, factory, clock):
    app.config["AUTHORITY_DELETION_MONTHS"] = 1
    authority = factory.authority(status=AuthorityStatus.DEACTIVATED, deactivated_at=datetime(2026, 1, 31, tzinfo=timezone.utc))
    factory.commit()
    clock.move_to(datetime(2026, 2, 27, tzinfo=timezone.utc))
    assert purge_deactivated() == []
    clock.move_to(datetime(2026, 2, 28, tzinfo=timezone.utc))
    assert [d.id for d in purge_deactivated()] == [authority.id]


def test_idempotent_and_only_deactivated_authorities(app, db, land, clock, factory):
    active = factory.authority(name="Aktīva")
    reactivated = factory.authority(name="Atkal aktīva", status=AuthorityStatus.DEACTIVATED, deactivated_at=DEACTIVATED)
    factory.commit()
    reactivate_authority(land["nimic_admin"], reactivated)
    db.session.commit()
    clock.move_to(DUE + timedelta(days=400))
    assert len(purge_deactivated()) == 1
    counts = (count(db, Authority), count(db, User), count(db, HistoryEntry))
    assert purge_deactivated() == []
    assert purge_deactivated() == []
    assert (count(db, Authority), count(db, User), count(db, HistoryEntry)) == counts
    assert count(db, Authority, Authority.id.in_([active.id, reactivated.id])) == 2
    assert count(db, HistoryEntry, HistoryEntry.action == "authority.deleted") == 1


def test_two_authorities_deactivated_at_the_same_moment_are_both_deleted(
    app, db, factory, clock
):
    """Each deletion claims its own authority row, not every row deactivated at that moment.
    Found by mutation testing (docs/mutation.md)."""
    twins = [
        factory.authority(
            status=AuthorityStatus.DEACTIVATED, deactivated_at=DEACTIVATED
        )
        for _ in range(2)
    ]
    factory.commit()
    clock.move_to(DUE)
    assert sorted(d.id for d in purge_deactivated()) == sorted(a.id for a in twins)


def test_reactivated_or_deactivated_again_meanwhile_is_not_deleted(app, db, land, clock):
    """The delete is conditional on the deactivation the job saw."""
    clock.move_to(DUE + timedelta(days=1))
    doomed = db.session.get(Authority, land["doomed_id"])
    reactivate_authority(land["nimic_admin"], doomed)
    db.session.commit()
    assert purge_authority(land["doomed_id"], DEACTIVATED) is None
    deactivate_authority(land["nimic_admin"], doomed)
    db.session.commit()
    assert purge_authority(land["doomed_id"], DEACTIVATED) is None  # a new deactivation, a new date
    assert count(db, Authority, Authority.id == land["doomed_id"]) == 1


# --- what goes, what stays --------------------------------------------------------------------


def test_personal_data_goes_and_a_minimal_record_stays(app, db, land, clock, backend):
    doomed_id, ids = land["doomed_id"], land["ids"]
    assert "Pēteris" in history_text(db)
    clock.move_to(DUE + timedelta(days=1))
    [deleted] = purge_deactivated()
    assert "Jelgavas būvvalde" in str(deleted) and "2 users" in str(deleted)

    assert count(db, User, User.id.in_(ids)) == 0
    assert count(db, PasswordHistory, PasswordHistory.user_id.in_(ids)) == 0
    assert count(db, user_module_right, user_module_right.c.user_id.in_(ids)) == 0
    assert count(db, ModuleAccess, ModuleAccess.authority_id == doomed_id) == 0
    assert count(db, module_access_classification) == 0
    assert count(db, authority_classification, authority_classification.c.authority_id == doomed_id) == 0
    assert count(db, AccessManagerLink, sa.or_(AccessManagerLink.managed_authority_id == doomed_id,
                                               AccessManagerLink.manager_authority_id == doomed_id)) == 0
    assert count(db, Invitation) == 0
    assert [m.recipient for m in db.session.scalars(sa.select(OutboxMessage))] == [land["nimic_admin"].email]

    # Other authorities: the linked coordinator and the access manager go, recorded.
    other = db.session.scalar(sa.select(ModuleAccess).where(ModuleAccess.authority_id == land["other"].id))
    assert other.linked_coordinator_id is None
    assert count(db, HistoryEntry, HistoryEntry.authority_id == land["other"].id,
                 HistoryEntry.changes.is_not(None), HistoryEntry.action == "module_access.updated") == 1
    assert count(db, HistoryEntry, HistoryEntry.authority_id == land["managed"].id, HistoryEntry.action == "access_manager.removed") == 1
    # Found by mutation testing: the entry names the module access it changed.
    updated = HistoryEntry.action == "module_access.updated"
    entry = db.session.scalar(sa.select(HistoryEntry).where(updated))
    assert entry.subject_type == "module_access" and entry.subject_id == other.id
    assert entry.subject_label == "SVC"
    assert entry.changes == {"linked_coordinator": ["Jelgavas būvvalde", None]}
    removed = HistoryEntry.action == "access_manager.removed"
    entry = db.session.scalar(sa.select(HistoryEntry).where(removed))
    assert entry.changes == {"access_manager": ["Jelgavas būvvalde", None]}

    # The history: its own entries are gone, one minimal record stays, no personal data anywhere.
    assert count(db, HistoryEntry, HistoryEntry.authority_id == doomed_id) == 0
    record = db.session.scalar(sa.select(HistoryEntry).where(HistoryEntry.action == "authority.deleted"))
    assert (record.authority_id, record.authority_name, record.subject_type, record.subject_id) == (
        None, "Jelgavas būvvalde", "authority", doomed_id)
    assert record.actor_user_id is None and record.actor_name == ""
    assert record.subject_label == "Jelgavas būvvalde"  # found by mutation testing
    assert record.changes == {"status": ["deactivated", "deleted"], "deactivated_at": [DEACTIVATED.isoformat(), None], "users": [2, 0]}
    text = history_text(db)
    for value in PERSONAL:
        assert value not in text, value
    # Where its admin acted on another authority, the entry stays without the name.
    elsewhere = db.session.scalar(sa.select(HistoryEntry).where(HistoryEntry.authority_id == land["other"].id,
                                                              HistoryEntry.action == "authority.updated"))
    assert (elsewhere.actor_user_id, elsewhere.actor_name, elsewhere.changes) == (None, "", {"phone": ["1", "2"]})
    # The name search indexes stay consistent.
    assert_name_postings_match(db)
    if backend == "sqlite":
        db.session.execute(sa.text("INSERT INTO authority_fts(authority_fts) VALUES ('integrity-check')"))
        db.session.rollback()


def test_the_history_of_others_keeps_its_names(app, db, land, clock):
    """Only the entries about the deleted users lose their personal data: another authority's
    user keeps her name, as does an entry about another kind of object that has a deleted
    user's id; an entry about a deleted user filed under another authority (no operation files
    one so today) keeps only what is not personal. Found by mutation testing (docs/mutation.md)."""
    other, admin_id = land["other"], land["ids"][0]
    ilze = db.session.scalar(sa.select(User).where(User.username == "nimic.user"))
    ilzes = history.record_user_change(
        "user.updated", actor=None, user=ilze, changes={"phone": ["1", "2"]}
    )
    lookalike = history.record(
        "module_access.updated",
        actor=None,
        authority=other,
        subject_label="SVC",
        changes={"status": ["a", "b"]},
    )
    lookalike.subject_type, lookalike.subject_id = "module_access", admin_id
    elsewhere = history.record(
        "user.rights_changed",
        actor=None,
        authority=other,
        subject_label="Pēteris Kļaviņš",
        changes={"is_admin": [False, True], "email": [None, "peteris@jelgava.example"]},
    )
    elsewhere.subject_type, elsewhere.subject_id = User.__tablename__, admin_id
    db.session.commit()
    clock.move_to(DUE + timedelta(days=1))
    assert len(purge_deactivated()) == 1

    def kept(entry):
        db.session.refresh(entry)
        return entry.subject_label, entry.changes

    assert kept(ilzes) == ("Ilze Liepa", {"phone": ["1", "2"]})
    assert kept(lookalike) == ("SVC", {"status": ["a", "b"]})
    assert kept(elsewhere) == ("", {"is_admin": [False, True]})


def test_the_others_keep_their_own_data(app, db, land, clock, factory):
    """Only the rows of the deleted authority and its users go: another authority's module
    access keeps its classification, its users their rights, password history and sessions,
    an invitation another authority sent stays, and a security event of another authority's
    user stays, without the name of the deleted user who caused it. An access manager keeps
    its modules, classification, links and its actions in the history; a user of another
    authority who has a deleted user's address keeps the mail queued for it (R-6.2).
    Found by mutation testing (docs/mutation.md)."""
    ilze = db.session.scalar(sa.select(User).where(User.username == "nimic.user"))
    listing = ClassificationList(
        code="SVC", name_lv="Saraksts", name_en="List", module=land["svc"]
    )
    listing.entries = [
        ClassificationEntry(code="E", name_lv="Ieraksts", name_en="Entry")
    ]
    db.session.add(listing)
    access = db.session.scalar(
        sa.select(ModuleAccess).where(ModuleAccess.authority_id == land["other"].id)
    )
    access.classification_entries = list(listing.entries)
    ilze.module_rights = list(land["svc"].rights)
    ilze.password_history.append(PasswordHistory(password_hash="y"))
    db.session.add(UserSession(user_id=ilze.id, token_hash=secrets.token_hex(32)))
    db.session.add(
        Invitation(
            country_id=land["nimic"].country_id,
            inviting_authority=land["nimic"],
            email="x@example.lv",
            token_hash=secrets.token_hex(32),
            status=InvitationStatus.SENT,
            expires_at=DUE,
        )
    )
    security_events.record(
        security_events.PASSWORD_RESET, user=ilze, actor=land["admin"]
    )
    nimic, other = land["nimic"], land["other"]
    nimic.delegated_modules = [land["svc"]]
    nimic.classification_entries = list(listing.entries)
    db.session.add(AccessManagerLink(managed=other, manager=nimic))
    acted = history.record_authority_change(
        "authority.updated", actor=land["nimic_admin"], authority=other, changes={}
    )
    namesake = factory.user(other, email="zane@jelgava.example")  # as the deleted Zane
    queue_mail(
        namesake.email,
        "password_expiry",
        "en",
        first_name="Z",
        days_left=3,
        expires_on="x",
    )
    db.session.commit()
    clock.move_to(DUE + timedelta(days=1))
    assert len(purge_deactivated()) == 1

    assert count(db, module_access_classification) == 1
    assert count(db, user_module_right, user_module_right.c.user_id == ilze.id) == 2
    assert count(db, PasswordHistory, PasswordHistory.user_id == ilze.id) == 1
    assert count(db, UserSession, UserSession.user_id == ilze.id) == 1
    assert count(db, Invitation) == 1
    event = db.session.scalar(
        sa.select(SecurityEvent).where(SecurityEvent.user_id == ilze.id)
    )
    assert event.user_name == "Ilze Liepa"
    assert event.actor_user_id is None and event.actor_name == ""
    assert count(db, access_manager_module) == 1
    assert count(db, authority_classification) == 1
    assert (
        count(db, AccessManagerLink, AccessManagerLink.managed_authority_id == other.id)
        == 1
    )
    assert db.session.get(HistoryEntry, acted.id).actor_authority_id == nimic.id
    assert count(db, OutboxMessage, OutboxMessage.recipient == namesake.email) == 1


def test_the_management_tab_of_the_other_authority_still_renders(app, db, land, clock, client):
    app.config["PASSWORD_MAX_AGE_DAYS"] = 10_000
    clock.move_to(DUE + timedelta(days=1))
    purge_deactivated()
    assert client.login("nimic.admin", "Correct-Horse-9").status_code == 303
    page = client.get(f"/authorities/{land['other'].id}/management")
    assert page.status_code == 200
    assert "Jelgavas būvvalde" in page.get_data(as_text=True)  # linked coordinator: name → none


# --- two servers at once ---------------------------------------------------------------------


def test_two_concurrent_runs_delete_once(app, db, land, clock, backend, monkeypatch):
    """Server A claims the authority and is slow; server B starts meanwhile, waits for A's row
    lock, then finds nothing to delete. Without the lease of jobs.py."""
    if backend != "postgresql":
        pytest.skip("row locks between two connections: PostgreSQL")
    clock.move_to(DUE + timedelta(days=1))
    claimed = threading.Event()
    scrub = purge._scrub_history

    def slow_scrub(*args):
        if threading.current_thread().name == "server-a":
            claimed.set()
            time.sleep(1.0)
        return scrub(*args)

    monkeypatch.setattr(purge, "_scrub_history", slow_scrub)
    results, errors = {}, []

    def server(name, wait=None):
        try:
            if wait is not None:
                assert wait.wait(10)
            with app.app_context():
                started = time.monotonic()
                results[name] = (purge_deactivated(), time.monotonic() - started)
                _db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    a = threading.Thread(target=server, args=("a",), name="server-a")
    b = threading.Thread(target=server, args=("b", claimed), name="server-b")
    a.start()
    b.start()
    a.join(30)
    b.join(30)
    assert errors == []
    assert [d.id for d in results["a"][0]] == [land["doomed_id"]]
    assert results["b"][0] == []
    assert results["b"][1] > 0.3  # B waited for A's lock instead of deleting alongside
    assert count(db, HistoryEntry, HistoryEntry.action == "authority.deleted") == 1
    assert count(db, Authority, Authority.id == land["doomed_id"]) == 0


def on_two_servers(app, job):
    """Run ``job`` on two threads that start it at the same moment (a barrier), each with its
    own app context and session, as two servers would: (results, errors)."""
    barrier = threading.Barrier(2)
    results, errors = [], []

    def server():
        try:
            with app.app_context():
                barrier.wait(10)
                results.append(job())
                _db.session.remove()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=server) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results, errors


def test_two_simultaneous_runs_delete_once(app, db, land, clock, backend):
    """Both servers start at the same moment (a barrier); one deletes, the other does nothing."""
    if backend != "postgresql":
        pytest.skip("two writers at once: PostgreSQL")
    clock.move_to(DUE + timedelta(days=1))
    results, errors = on_two_servers(app, purge_deactivated)
    assert errors == []
    assert sorted(len(r) for r in results) == [0, 1]
    assert count(db, HistoryEntry, HistoryEntry.action == "authority.deleted") == 1


# --- the commands ------------------------------------------------------------------------------


def test_the_command_prints_what_it_deleted(app, db, land, clock):
    clock.move_to(DUE + timedelta(days=1))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["imi", "purge-deactivated"])
    assert result.exit_code == 0, result.output
    assert f"deleted authority {land['doomed_id']} 'Jelgavas būvvalde' (LV), deactivated 2026-03-31, with 2 users" in result.output
    assert result.output.strip().endswith("1 authority deleted")
    again = runner.invoke(args=["imi", "purge-deactivated"])
    assert again.output.strip() == "0 authorities deleted"


def test_run_jobs_purges_too(app, db, land, clock):
    clock.move_to(DUE + timedelta(days=1))
    result = app.test_cli_runner().invoke(args=["imi", "run-jobs"])
    assert result.exit_code == 0, result.output
    assert "purge-deactivated: 1 deleted: deleted authority" in result.output
    assert "authority-deletion-reminders: 0 authorities reminded" in result.output
    assert "purge-deactivated: 0 authorities deleted" in app.test_cli_runner().invoke(args=["imi", "run-jobs"]).output


# --- the reminder, 14 days before ------------------------------------------------------------


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.config()


def test_the_reminder_is_mailed_once_through_smtp(app, db, land, clock, smtp_server):
    clock.move_to(DUE - timedelta(days=14, seconds=1))
    assert send_deletion_reminders() == 0
    clock.move_to(DUE - timedelta(days=14))
    assert send_deletion_reminders() == 1
    assert send_deletion_reminders() == 0
    clock.move_to(DUE - timedelta(days=3))
    assert send_deletion_reminders() == 0
    assert db.session.get(Authority, land["doomed_id"]).deletion_reminder_sent_at == DUE - timedelta(days=14)

    assert deliver_pending() == {"sent": 4, "failed": 0}  # two reminders and two older mails
    mails = [m for m in smtp_server.messages if "deleted" in m["subject"] or "dzēsta" in m["subject"]]
    assert sorted(m["to"][0] for m in mails) == sorted([land["nimic_admin"].email, land["manager_admin"].email])
    assert all(len(m["to"]) == 1 for m in mails)
    lv = next(m for m in mails if m["to"] == [land["nimic_admin"].email])
    en = next(m for m in mails if m["to"] == [land["manager_admin"].email])
    assert lv["subject"] == "IMI: jūsu pārvaldītā iestāde drīz tiks dzēsta"
    assert "Jelgavas būvvalde" in lv["body"] and "2026. gada 30. septembris" in lv["body"] and "pēc 14 dienām" in lv["body"]
    assert en["subject"] == "IMI: an authority you manage will be deleted soon"
    assert "Deletion date: 30 September 2026 (in 14 days)" in en["body"]
    assert "Hello Jānis," in en["body"]  # found by mutation testing
    assert f"https://imi.example.test/authorities/{land['doomed_id']}/authority" in en["body"]
    for mail in mails:
        raw = mail["message"].as_string()
        for username in ("nimic.admin", "riga.admin", "pklavins", "nimic.user"):
            assert username not in raw

    # Deleted on time, and no further reminder for it ever.
    clock.move_to(DUE)
    assert len(purge_deactivated()) == 1
    assert send_deletion_reminders() == 0


def test_run_jobs_sends_the_reminder_in_one_run(app, db, land, clock, smtp_server):
    clock.move_to(DUE - timedelta(days=10))  # the job did not run for four days: still reminded
    result = app.test_cli_runner().invoke(args=["imi", "run-jobs"])
    assert "authority-deletion-reminders: 1 authority reminded" in result.output
    assert "deliver-mail: 4 sent, 0 failed" in result.output
    assert len([m for m in smtp_server.messages if "10 days" in m["body"] or "10 dienām" in m["body"]]) == 2
    result = app.test_cli_runner().invoke(args=["imi", "run-jobs"])
    assert "authority-deletion-reminders: 0 authorities reminded" in result.output


def test_a_new_deactivation_gets_a_new_reminder(app, db, land, clock):
    clock.move_to(DUE - timedelta(days=13))
    assert send_deletion_reminders() == 1
    doomed = db.session.get(Authority, land["doomed_id"])
    reactivate_authority(land["nimic_admin"], doomed)
    db.session.commit()
    assert doomed.deletion_reminder_sent_at is None
    assert send_deletion_reminders() == 0  # active again
    deactivate_authority(land["nimic_admin"], doomed)
    db.session.commit()
    again = add_months(doomed.deactivated_at, 6)
    clock.move_to(again - timedelta(days=15))
    assert send_deletion_reminders() == 0
    clock.move_to(again - timedelta(days=13))
    assert send_deletion_reminders() == 1
    assert send_deletion_reminders() == 0


def test_without_access_manager_links_the_nimic_is_reminded(app, db, land, clock):
    db.session.execute(sa.delete(AccessManagerLink).where(AccessManagerLink.managed_authority_id == land["doomed_id"]))
    db.session.commit()
    clock.move_to(DUE - timedelta(days=13))
    assert send_deletion_reminders() == 1
    assert [m.recipient for m in db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.template == "authority_deletion_reminder"))] == [
        land["nimic_admin"].email
    ]


def test_a_deactivated_access_manager_is_not_reminded(app, db, land, clock):
    """A deactivated authority receives no notifications (R-5.2): only the administrators of
    the active access managers are reminded. Found by mutation testing (docs/mutation.md)."""
    manager = land["manager_admin"].authority
    manager.status, manager.deactivated_at = AuthorityStatus.DEACTIVATED, utcnow()
    db.session.commit()
    assert purge.reminder_recipients(land["doomed_id"]) == [land["nimic_admin"]]


def test_without_access_manager_links_only_its_own_countrys_nimic_is_reminded(
    app, db, factory
):
    """Found by mutation testing (docs/mutation.md): another country's NIMIC is not told."""
    factory.user(factory.nimic("EE"), is_admin=True)
    doomed = factory.authority(
        country="LV", status=AuthorityStatus.DEACTIVATED, deactivated_at=utcnow()
    )
    factory.commit()
    assert purge.reminder_recipients(doomed.id) == []  # no Latvian NIMIC yet
    latvian = factory.user(factory.nimic("LV"), is_admin=True)
    factory.commit()
    assert purge.reminder_recipients(doomed.id) == [latvian]


def test_the_reminder_comes_on_time_when_the_months_are_short(app, db, factory, clock):
    """31 August 2026 to 28 February 2027 is 181 days: the reminder is due 167 days after the
    deactivation, a day before the coarse SQL cut-off of 6 × 28 days would let it through
    without the reminder's days. Found by mutation testing (docs/mutation.md)."""
    deactivated = DEACTIVATED.replace(month=8)  # 31 August 2026, 9:00 UTC
    factory.authority(status=AuthorityStatus.DEACTIVATED, deactivated_at=deactivated)
    factory.commit()
    reminder_due = DEACTIVATED.replace(year=2027, month=2, day=14)  # 14 days before
    clock.move_to(reminder_due - timedelta(seconds=1))
    assert send_deletion_reminders() == 0
    clock.move_to(reminder_due)
    assert send_deletion_reminders() == 1


def test_an_authority_past_its_deletion_date_does_not_hold_up_the_next_reminder(
    app, db, factory, clock
):
    """An authority not deleted yet on its deletion date gets no reminder any more, and the
    ones deactivated after it still do. Found by mutation testing (docs/mutation.md)."""
    overdue = DEACTIVATED - timedelta(days=30)  # its deletion date: 1 September
    factory.authority(status=AuthorityStatus.DEACTIVATED, deactivated_at=overdue)
    factory.authority(status=AuthorityStatus.DEACTIVATED, deactivated_at=DEACTIVATED)
    factory.commit()
    clock.move_to(DUE - timedelta(days=13))
    assert send_deletion_reminders() == 1


def test_two_servers_remind_once(app, db, land, clock, backend):
    if backend != "postgresql":
        pytest.skip("two writers at once: PostgreSQL")
    clock.move_to(DUE - timedelta(days=13))
    results, errors = on_two_servers(app, send_deletion_reminders)
    assert errors == [] and sorted(results) == [0, 1]
    assert count(db, OutboxMessage, OutboxMessage.template == "authority_deletion_reminder") == 2


def test_rejected_registrations_are_deleted_after_thirty_days(app, factory, db):
    """Issue 18: a rejected registration and its first user are deleted by run-jobs
    IMI_REJECTED_REGISTRATION_DAYS (30) after the rejection; one record of it stays."""
    from imi_web.jobs import run_jobs

    now = utcnow()
    old = factory.authority(name="Noraidītā iestāde", status=AuthorityStatus.REJECTED, rejected_at=now - timedelta(days=31))
    recent = factory.authority(name="Nesen noraidītā", status=AuthorityStatus.REJECTED, rejected_at=now - timedelta(days=29))
    factory.user(authority=old, username="rejected.first")
    factory.user(authority=recent, username="recent.first")
    factory.commit()
    old_id, old_rejected_at = old.id, old.rejected_at
    reports = dict(run_jobs())
    assert reports["purge-rejected"].startswith("1 rejected registrations deleted; deleted authority")
    # Found by mutation testing: one user, singular.
    assert reports["purge-rejected"].endswith("with 1 user")
    db.session.expire_all()
    assert db.session.get(Authority, old_id) is None and db.session.get(Authority, recent.id) is not None
    assert db.session.scalar(sa.select(User).where(User.username == "rejected.first")) is None
    record = db.session.scalar(sa.select(HistoryEntry).where(HistoryEntry.action == "authority.deleted"))
    assert record.subject_id == old_id and record.changes["status"] == ["rejected", "deleted"]
    assert record.authority_name == "Noraidītā iestāde"
    # Found by mutation testing: when it was rejected, and the report says "rejected".
    assert record.changes["rejected_at"] == [old_rejected_at.isoformat(), None]
    assert "'Noraidītā iestāde' (LV), rejected " in reports["purge-rejected"]
