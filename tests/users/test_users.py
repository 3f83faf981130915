"""The "Users" tab (R-3.6, R-3.7, R-3.9, R-3.10): register, rename, rights, reset, delete."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from imi_web.outbox import deliver_pending
from imi_web.models import HistoryEntry, ModuleAccess, ModuleRole, User, utcnow
from imi_web.users.operations import USERNAME_FORMAT, register_user
from tests.conftest import BACKENDS, Client, Factory

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.config()


@pytest.fixture
def modules(world, db, factory):
    """The plain authority has SVC and PQ active."""
    db.session.add(ModuleAccess(authority=world.plain, module=world.svc, role=ModuleRole.AUTHORITY))
    db.session.add(ModuleAccess(authority=world.plain, module=world.pq, role=ModuleRole.AUTHORITY, linked_coordinator=world.coordinator))
    factory.commit()
    return world


def users_url(world, suffix=""):
    return f"/authorities/{world.plain.id}/users{suffix}"


def reload(db, user_id):
    db.session.expire_all()
    return db.session.get(User, user_id)


def test_register_user_shows_username_and_mails_only_the_password(modules, login, db, smtp_server):
    world = modules
    client = login("nimic.admin")
    form = client.get(users_url(world, "/new"), htmx=True)
    assert form.status_code == 200 and "<html" not in form.get_data(as_text=True)
    response = client.post(
        users_url(world, "/new"),
        {"first_name": "Jānis", "surname": "Kalniņš", "email": "janis@plain.lv.example", "language": "en",
         "rights": [world.svc.rights[0].id]},
        htmx=True,
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "The username is jkalnins." in html and "never sent by e-mail" in html
    user = db.session.scalar(sa.select(User).where(User.username == "jkalnins"))
    assert [r.code for r in user.module_rights] == ["SEND"] and not user.is_admin
    assert deliver_pending()["sent"] == 1
    [mail] = smtp_server.messages
    assert "jkalnins" not in mail["message"].as_string()
    password = mail["body"].split("Your temporary password: ")[1].split()[0]
    assert password not in html
    entry = db.session.scalar(sa.select(HistoryEntry).where(HistoryEntry.action == "user.registered"))
    assert entry.actor_user_id == world.nimic_admin.id


def test_register_user_bad_input(modules, login, db):
    client = login("nimic.admin")
    response = client.post(users_url(modules, "/new"), {"first_name": "", "surname": "X", "email": "nope", "rights": [999999]}, htmx=True)
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#new-user"
    html = response.get_data(as_text=True)
    for field in ("first_name", "email", "rights"):
        assert f'id="{field}-error"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 5


def test_username_changes_once_registration_is_complete(modules, login, db, app, factory):
    world = modules
    newcomer = factory.user(world.plain, username="new.comer", temporary=True, password="Temp-Pass-123")
    factory.commit()
    client = login("nimic.admin")
    url = users_url(world, f"/{newcomer.id}/username")
    early = client.post(url, {"username": "anna.k"}, htmx=True)
    assert early.status_code == 422 and "once the user has logged in" in early.get_data(as_text=True)
    # The user logs in and chooses a password: registration is complete.
    own = Client(app.test_client())
    own.login("new.comer", "Temp-Pass-123")
    own.post("/account/password", {"current_password": "Temp-Pass-123", "new_password": "Own-Pass-2026", "repeat_password": "Own-Pass-2026"})
    for bad, message in [("ab", "Use 3 to 32 characters"), ("Plain.Admin", "already taken"), ("1abc", "Use 3 to 32 characters")]:
        refused = client.post(url, {"username": bad}, htmx=True)
        assert refused.status_code == 422, bad
        html = refused.get_data(as_text=True)
        assert 'id="username-error"' in html and message in html, bad
    done = client.post(url, {"username": "Anna.K"}, htmx=True)
    assert done.status_code == 200 and "anna.k" in done.get_data(as_text=True)
    assert reload(db, newcomer.id).username == "anna.k"
    entry = db.session.scalar(sa.select(HistoryEntry).where(HistoryEntry.action == "user.username_changed"))
    assert entry.changes == {"username": ["new.comer", "anna.k"]}
    assert entry.actor_user_id == world.nimic_admin.id  # who changed it; found by mutation testing
    assert own.login("anna.k", "Own-Pass-2026").status_code in (302, 303)


def test_rights_inline_and_the_last_administrator(modules, login, db):
    world = modules
    client = login("nimic.admin")
    url = users_url(world, f"/{world.plain_admin.id}/rights")
    form = client.get(url, htmx=True)
    assert form.status_code == 200 and f'id="user-{world.plain_admin.id}"' in form.get_data(as_text=True)
    refused = client.post(url, {"rights": [world.svc.rights[0].id]}, htmx=True)  # is_admin unticked
    assert refused.status_code == 422
    assert "The last administrator of an authority cannot lose administrator rights." in refused.get_data(as_text=True)
    assert reload(db, world.plain_admin.id).is_admin
    saved = client.post(url, {"is_admin": "y", "rights": [world.svc.rights[1].id, world.pq.rights[0].id]}, htmx=True)
    assert saved.status_code == 200 and "<form" not in saved.get_data(as_text=True)
    user = reload(db, world.plain_admin.id)
    assert sorted(f"{r.module.code}:{r.code}" for r in user.module_rights) == ["PQ:SEND", "SVC:REPLY"]
    entry = db.session.scalar(sa.select(HistoryEntry).where(HistoryEntry.action == "user.rights_changed"))
    assert entry.changes["rights"][1] == ["PQ:SEND", "SVC:REPLY"]
    assert entry.actor_user_id == world.nimic_admin.id  # who changed it; found by mutation testing


def test_partial_delegate_assigns_rights_of_its_modules_only(modules, login, db):
    from imi_web.users.operations import grant_all_module_rights

    world = modules
    grant_all_module_rights(world.plain_admin, world.svc)
    db.session.commit()
    client = login("partial.admin")
    url = users_url(world, f"/{world.plain_admin.id}/rights")
    form = client.get(url, htmx=True).get_data(as_text=True)
    assert "PQ — Module PQ" in form and "SVC — Module SVC" not in form  # only its modules are offered
    # A right of a module outside its scope is refused …
    refused = client.post(url, {"is_admin": "y", "rights": [world.pq.rights[1].id, world.svc.rights[0].id]}, htmx=True)
    assert refused.status_code == 422
    # … and its own modules' rights change while the others are kept.
    assert client.post(url, {"is_admin": "y", "rights": [world.pq.rights[1].id]}, htmx=True).status_code == 200
    user = reload(db, world.plain_admin.id)
    assert sorted(f"{r.module.code}:{r.code}" for r in user.module_rights) == ["PQ:REPLY", "SVC:REPLY", "SVC:SEND"]


def test_reset_password_unblocks_ends_sessions_and_mails(modules, login, db, app, smtp_server):
    world = modules
    target = world.plain_admin
    own = Client(app.test_client())
    own.login("plain.admin", Factory.PASSWORD)
    assert own.get("/").status_code == 200
    reload(db, target.id).password_blocked_at = utcnow()
    db.session.commit()
    client = login("nimic.admin")
    url = users_url(world, f"/{target.id}/reset-password")
    confirm = client.get(url)
    assert confirm.status_code == 200 and "Reset the password of" in confirm.get_data(as_text=True)
    assert client.post(url).status_code == 303
    user = reload(db, target.id)
    assert user.password_status().value == "temporary" and user.failed_login_count == 0
    assert utcnow() < user.password_expires_at() < utcnow() + timedelta(days=8)  # found by mutation testing
    assert own.get("/").status_code == 303  # the user's session has ended
    # The history says who reset it and from which status. Found by mutation testing.
    entry = db.session.scalar(sa.select(HistoryEntry).where(HistoryEntry.subject_id == target.id, HistoryEntry.action == "user.password_reset"))
    assert entry.actor_user_id == world.nimic_admin.id
    assert entry.changes == {"password_status": ["blocked", "temporary"]}
    assert deliver_pending()["sent"] == 1
    body = smtp_server.messages[0]["body"]
    assert "Your IMI password has been reset." in body and "plain.admin" not in body
    assert "It works for 7 days" in body  # found by mutation testing
    password = body.split("Your temporary password: ")[1].split()[0]
    assert Client(app.test_client()).login("plain.admin", password).headers["Location"] == "/account/password"


def test_delete_user_keeps_name_not_contact_data(modules, login, db, app, factory):
    world = modules
    client = login("nimic.admin")
    client.post(users_url(world, "/new"), {"first_name": "Ilze", "surname": "Liepa", "email": "ilze@plain.lv.example", "phone": "+371 2999", "language": "lv"})
    ilze_id = db.session.scalar(sa.select(User.id).where(User.username == "iliepa"))
    assert reload(db, ilze_id).phone == "+371 2999"  # found by mutation testing
    # The last administrator cannot be deleted.
    refused = client.post(users_url(world, f"/{world.plain_admin.id}/delete"), htmx=True)
    assert refused.status_code == 422 and "cannot be deleted" in refused.get_data(as_text=True)
    assert reload(db, world.plain_admin.id) is not None
    # ... and is refused before the confirmation is asked, not after (page and htmx).
    asked = client.get(users_url(world, f"/{world.plain_admin.id}/delete"), htmx=True)
    assert asked.status_code == 422 and "cannot be deleted" in asked.get_data(as_text=True)
    assert "Delete user" not in asked.get_data(as_text=True)
    assert client.get(users_url(world, f"/{world.plain_admin.id}/delete")).status_code == 303
    assert client.get(users_url(world, f"/{ilze_id}/delete")).status_code == 200
    assert client.post(users_url(world, f"/{ilze_id}/delete")).status_code == 303
    assert reload(db, ilze_id) is None
    entries = db.session.scalars(sa.select(HistoryEntry).where(HistoryEntry.subject_id == ilze_id, HistoryEntry.subject_type == "user_account")).all()
    assert [e.action for e in entries] == ["user.registered", "user.deleted"]
    assert all(e.subject_label == "Ilze Liepa" for e in entries)
    text = str([e.changes for e in entries])
    assert "ilze@plain.lv.example" not in text and "+371 2999" not in text
    # The rest stays, and who deleted the user. Found by mutation testing.
    assert entries[0].changes == {"first_name": [None, "Ilze"], "surname": [None, "Liepa"], "language": [None, "lv"],
                                  "username": [None, "iliepa"], "is_admin": [None, False]}
    assert entries[1].changes == {"username": ["iliepa", None]} and entries[1].actor_user_id == world.nimic_admin.id


def test_assigned_usernames_have_the_shape_of_a_chosen_one(modules, db):
    """The username the system assigns (R-3.6) is 3 to 32 of a–z, 0–9, '.', '-', '_', a letter
    first, whatever the name: hyphens, apostrophes, Greek letters, a long surname. Found by
    mutation testing (docs/mutation.md)."""
    names = [("Anna-Marija", "O'Brien Kalniņa"), ("Γιώργος", "Παπαδόπουλος"), ("Jānis", "Bērziņš" * 8)]
    usernames = []
    for first_name, surname in names:
        for _namesake in range(3):
            user, _password = register_user(modules.plain, actor=None, first_name=first_name, surname=surname,
                                            email="a@plain.lv.example", send_mail=False)
            usernames.append(user.username)
    assert usernames[:6] == ["aobrienkalnina", "aobrienkalnina2", "aobrienkalnina3", "user", "user2", "user3"]
    assert all(USERNAME_FORMAT.match(username) for username in usernames), usernames


def test_another_administrator_can_lose_the_rights_or_be_deleted(modules, login, db, factory):
    """R-3.6 keeps only the last administrator: while the authority has others, an administrator
    loses the rights or is deleted like anyone. Found by mutation testing (docs/mutation.md)."""
    world = modules
    second = factory.user(world.plain, username="second.admin", is_admin=True)
    third = factory.user(world.plain, username="third.admin", is_admin=True)
    factory.commit()
    client = login("nimic.admin")
    assert client.post(users_url(world, f"/{second.id}/rights"), {}, htmx=True).status_code == 200
    assert not reload(db, second.id).is_admin
    assert client.get(users_url(world, f"/{third.id}/delete")).status_code == 200  # the confirmation
    assert client.post(users_url(world, f"/{third.id}/delete")).status_code == 303
    assert reload(db, third.id) is None


def test_deleting_a_user_drops_only_that_users_contact_data(modules, login, db):
    """The other users' entries keep theirs, and so does an entry about another kind of subject
    with the same id (an authority's). Found by mutation testing (docs/mutation.md)."""
    world = modules
    client = login("nimic.admin")
    for first, surname in (("Ilze", "Liepa"), ("Anna", "Kalna")):
        client.post(users_url(world, "/new"), {"first_name": first, "surname": surname, "email": f"{first.lower()}@plain.lv.example", "language": "lv"})
    ilze_id = db.session.scalar(sa.select(User.id).where(User.username == "iliepa"))
    db.session.add(HistoryEntry(action="authority.updated", subject_type="authority", subject_id=ilze_id, changes={"email": ["a@x.example", "b@x.example"]}))
    db.session.commit()
    assert client.post(users_url(world, f"/{ilze_id}/delete")).status_code == 303
    db.session.expire_all()
    anna = db.session.scalar(sa.select(HistoryEntry).where(HistoryEntry.action == "user.registered", HistoryEntry.subject_label == "Anna Kalna"))
    assert anna.changes["email"] == [None, "anna@plain.lv.example"]
    other = db.session.scalar(sa.select(HistoryEntry).where(HistoryEntry.subject_type == "authority", HistoryEntry.subject_id == ilze_id))
    assert other.changes == {"email": ["a@x.example", "b@x.example"]}


def test_statuses_follow_real_logins_and_time(modules, login, db, app, factory):
    """R-3.9: the 2×4 user and password states, as the access manager sees them."""
    world = modules
    fresh = factory.user(world.plain, username="s.fresh", password="Temp-Pass-123", temporary=True)
    factory.commit()
    fresh_id = fresh.id
    manager = login("nimic.admin")
    own = Client(app.test_client())

    def shown(manager=manager):
        row = manager.get(users_url(world, f"/{fresh_id}"), htmx=True).get_data(as_text=True)
        cells = row.split("<td>")
        assert len(cells) > 4, row
        return cells[3].split("</td>")[0].strip(), cells[4].split("</td>")[0].strip()

    assert shown() == ("new", "temporary")
    for attempt in range(5):
        own.login("s.fresh", f"Wrong-{attempt}-Pass")
    assert shown() == ("new", "blocked")
    manager.post(users_url(world, f"/{fresh.id}/reset-password"))
    password = reload(db, fresh.id)
    # The new temporary password is in the outbox; read it there, as the mail would carry it.
    from imi_web.models import OutboxMessage

    body = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id.desc())).first().body_text
    temp = body.split("Your temporary password: ")[1].split()[0]
    assert shown() == ("new", "temporary")
    own.login("s.fresh", temp)
    assert shown() == ("active", "temporary")
    own.post("/account/password", {"current_password": temp, "new_password": "Chosen-Pass-1", "repeat_password": "Chosen-Pass-1"})
    assert shown() == ("active", "valid")
    with time_machine.travel(utcnow() + timedelta(days=app.config["PASSWORD_MAX_AGE_DAYS"] + 1), tick=False):
        # Half a year on, the access manager has a fresh password and a new session too.
        reload(db, world.nimic_admin.id).password_set_at = utcnow()
        db.session.commit()
        later = login("nimic.admin")
        assert shown(later) == ("active", "expired")
        own.logout()
        for attempt in range(5):
            own.login("s.fresh", f"Wrong-{attempt}-Pass")
        assert shown(later) == ("active", "blocked")
    assert password is not None


def test_own_administrator_manages_own_users_only(modules, login, db, factory):
    world = modules
    other = factory.user(world.coordinator, username="other.user")
    factory.commit()
    client = login("plain.admin")
    assert client.get(users_url(world, "/new")).status_code == 200
    assert client.post(users_url(world, "/new"), {"first_name": "A", "surname": "Bērziņa", "email": "a@plain.lv.example", "language": "lv"}).status_code == 303
    # Another authority's user, through that authority's URL or ours: 404 (not theirs to see).
    assert client.get(f"/authorities/{world.coordinator.id}/users/{other.id}/rights").status_code == 404
    assert client.post(users_url(world, f"/{other.id}/delete")).status_code == 404
    assert reload(db, other.id) is not None
    # A form field naming another authority changes nothing about where the user goes.
    client.post(users_url(world, "/new"), {"first_name": "B", "surname": "Ozols", "email": "b@plain.lv.example", "language": "lv", "authority_id": world.coordinator.id})
    assert db.session.scalar(sa.select(User).where(User.surname == "Ozols")).authority_id == world.plain.id


@pytest.mark.parametrize("who", ["nimic.user", "ee.admin", "plain.admin"])
def test_outsiders_get_404_on_every_route(modules, login, db, who):
    """Users of an authority out of sight answer as if they did not exist (issue 15)."""
    world = modules
    victim = world.coordinator  # plain.admin is an outsider to the coordinator's users
    target = db.session.scalar(sa.select(User).where(User.authority_id == victim.id))
    if target is None:
        target = Factory(db).user(victim, username="victim", is_admin=True)
        db.session.commit()
    client = login(who)
    base = f"/authorities/{victim.id}/users"
    before = (db.session.scalar(sa.select(sa.func.count()).select_from(User)), db.session.scalar(sa.select(sa.func.count()).select_from(HistoryEntry)))
    for htmx in (False, True):
        for url in (f"{base}/new", f"{base}/{target.id}", f"{base}/{target.id}/rights", f"{base}/{target.id}/username",
                    f"{base}/{target.id}/reset-password", f"{base}/{target.id}/delete", f"/authorities/{victim.id}/users"):
            assert client.get(url, htmx=htmx).status_code == 404, (who, url)
        for url, data in ((f"{base}/new", {"first_name": "X", "surname": "Y", "email": "x@y.lv.example"}),
                          (f"{base}/{target.id}/rights", {"is_admin": "y"}), (f"{base}/{target.id}/username", {"username": "zzz"}),
                          (f"{base}/{target.id}/reset-password", {}), (f"{base}/{target.id}/delete", {})):
            assert client.post(url, data, htmx=htmx).status_code == 404, (who, url)
    db.session.expire_all()
    after = (db.session.scalar(sa.select(sa.func.count()).select_from(User)), db.session.scalar(sa.select(sa.func.count()).select_from(HistoryEntry)))
    assert after == before


def test_no_password_reset_for_users_who_cannot_log_in(modules, login, db, smtp_server):
    """Issue 18: a temporary password for a user of an authority that is not active would be
    mailed to someone who can never log in: not offered, and refused if asked for."""
    from imi_web.models import Authority, AuthorityStatus

    world = modules
    db.session.get(Authority, world.plain.id).status = AuthorityStatus.REJECTED
    db.session.commit()
    client = login("nimic.admin")
    tab = client.get(users_url(world)).get_data(as_text=True)
    assert "reset-password" not in tab
    refused = client.post(users_url(world, f"/{world.plain_admin.id}/reset-password"))
    assert refused.status_code == 303
    assert "cannot log in: no password is sent" in client.get(users_url(world)).get_data(as_text=True)
    assert deliver_pending()["sent"] == 0
