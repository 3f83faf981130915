"""Statements per request for every page type (issue 17): a page reads its rows with a fixed
number of statements, so five times the rows must cost exactly the same statements.

Each page is requested once with a few rows of every kind (users, module accesses, access
managers, history entries, invitations, registrations, authorities, events, sessions …) and
once after several times more were added; ``assert_flat`` names every page whose count moved.
"""

import secrets
from datetime import timedelta

import pytest

from imi_web.invitations.operations import new_token
from imi_web.models import (
    AccessManagerLink,
    AuthorityStatus,
    ClassificationEntry,
    ClassificationList,
    DelegationScope,
    HistoryEntry,
    Invitation,
    InvitationStatus,
    ModuleAccess,
    ModuleRole,
    Passkey,
    RecoveryCode,
    SecurityEvent,
    UserSession,
    utcnow,
)
from imi_web.users.operations import grant_all_module_rights
from tests.authorities.conftest import login, world  # noqa: F401
from tests.conftest import BACKENDS
from tests.fixtures.query_count import assert_flat

pytestmark = pytest.mark.parametrize("backend", BACKENDS)

FEW, MORE = 2, 8  # rows of each kind at first, and how many more are added (2 → 10)
# Generous: the heaviest page (a registration to validate) reads 12; a page that loads
# per row would pass it long before it reached a real list's length.
LIMIT = 20
HTMX_TABS = ("modules", "users", "management")
# The tabs in "Edit authority" mode, and the newest row each shows (the authority's form, none).
EDITED_TABS = {"authority": "", "classification": "Field {i}", "modules": "Koordinators {i}", "management": "Pārvaldnieks {i}"}


@pytest.fixture
def app_config(database_url):
    # The session's last activity is written at most once a minute: a write that falls between
    # the two measurements would be counted as if a row had caused it.
    return {"SESSION_TOUCH_SECONDS": 10**6}


class Rows:
    """Adds rows of every kind the pages list, each pointing at objects of its own (a module, a
    coordinator, a classification entry, a country …), so a lazy load per row shows."""

    def __init__(self, world, factory, db):
        self.w, self.factory, self.db = world, factory, db
        self.added = 0
        self.registrations = []

    def add(self, n):
        for i in range(self.added, self.added + n):
            self.one(i)
        self.factory.commit()
        self.added += n

    def one(self, i):
        w, factory, session = self.w, self.factory, self.db.session
        # A module with its own classification list, rights and coordinator.
        module = factory.module(f"Q{i}", rights=(f"R{i}A", f"R{i}B"), is_information_request=True)
        listing = ClassificationList(code=f"Q{i}", name_lv=f"Saraksts {i}", name_en=f"List {i}", module=module)
        listing.entries = [ClassificationEntry(code=f"Q{i}E", name_lv=f"Ieraksts {i}", name_en=f"Entry {i}", position=0)]
        session.add(listing)
        entry = ClassificationEntry(code=f"F{i}", name_lv=f"Joma {i}", name_en=f"Field {i}", position=10 + i)
        w.general.entries.append(entry)
        coordinator = factory.authority(name=f"Koordinators {i}", city=f"Pilsēta {i}")
        session.add(ModuleAccess(authority=coordinator, module=module, role=ModuleRole.COORDINATOR))

        # Tabs of "Jelgavas būvvalde": a module access, a user with rights, a classification
        # entry, an access manager of another country, history entries.
        session.add(
            ModuleAccess(
                authority=w.plain,
                module=module,
                role=ModuleRole.AUTHORITY,
                linked_coordinator=coordinator,
                classification_entries=list(listing.entries),
                approval_required=True,
                allocation_by_coordinator=False,
                may_refuse_requests=True,
            )
        )
        w.plain.classification_entries.append(entry)
        user = factory.user(w.plain, username=f"plain.user{i}", is_admin=i % 2 == 0)
        grant_all_module_rights(user, module)
        country = factory.country(f"X{i}", name_lv=f"Valsts {i}", name_en=f"Country {i}")
        manager = factory.authority(name=f"Pārvaldnieks {i}", country=country.code, access_manager_scope=DelegationScope.FULL)
        session.add(AccessManagerLink(managed=w.plain, manager=manager))
        for action, changes in (
            ("authority.updated", {"city": ["Jelgava", f"Jelgava {i}"], "classification": [[], [f"F{i}"]]}),
            ("user.rights", {"rights": [[], [f"Q{i}:R{i}A"]]}),
        ):
            self.history(w.plain, action, subject_type="user", subject_id=user.id, subject_label=user.username, changes=changes)
        self.history(
            w.plain,
            "module_access.granted",
            subject_type="module_access",
            subject_label=module.code,
            changes={"role": [None, "authority"]},
        )

        # Managed authorities, the directory, the access overview and Send e-mail: an authority
        # the NIMIC manages, with a module, a classification entry and users.
        managed = factory.authority(name=f"Rīgas būvvalde {i}", city=f"Rīga {i}", email=f"valde{i}@example.lv")
        managed.classification_entries += [w.general.entries[0], entry]
        session.add(AccessManagerLink(managed=managed, manager=w.nimic))
        session.add(ModuleAccess(authority=managed, module=w.svc, role=ModuleRole.AUTHORITY))
        session.add(ModuleAccess(authority=managed, module=module, role=ModuleRole.AUTHORITY, linked_coordinator=coordinator))
        factory.user(managed, username=f"riga.user{i}", is_admin=True)

        # Registration invitations (each kind of status) and a registration awaiting validation.
        invitation_status = list(InvitationStatus)[i % len(InvitationStatus)]
        if invitation_status != InvitationStatus.REGISTERED:
            session.add(self.invitation(f"ielugums{i}@example.lv", invitation_status))
        registered = factory.authority(
            name=f"Cēsu novada būvvalde {i}",
            status=AuthorityStatus.AWAITING_VALIDATION,
            city="Cēsis",
            email="registracija@cesis.lv.example",  # each registration a likely duplicate of the others
        )
        registered.classification_entries.append(entry)
        factory.user(registered, username=f"cesis.user{i}", is_admin=True)
        invitation = self.invitation(f"cesis{i}@example.lv", InvitationStatus.REGISTERED, authority=registered)
        session.add(invitation)
        self.registrations.append(registered)

        # Send e-mail: a message sent lately.
        self.history(w.nimic, "mailing.sent", subject_label=f"Ziņa {i}", changes={"recipients": [None, str(i)]})

        # Security events, and My account: sessions, passkeys, recovery codes, user rights.
        session.add(
            SecurityEvent(
                kind="login_failed",
                reason="wrong_password",
                user_id=user.id,
                user_name="Anna Kalniņa",
                username=user.username,
                authority_id=w.plain.id,
                authority_name=w.plain.official_name,
                country_id=w.plain.country_id,
                actor_user_id=w.nimic_admin.id,
                address="192.0.2.1",
            )
        )
        admin = w.nimic_admin
        session.add(UserSession(token_hash=secrets.token_hex(32), user_id=admin.id, address=f"198.51.100.{i}", browser="Firefox"))
        session.add(
            Passkey(user_id=admin.id, name=f"Atslēga {i}", credential_id=secrets.token_urlsafe(16), public_key=b"key")
        )
        session.add(RecoveryCode(user_id=admin.id, code_hash=secrets.token_hex(32)))
        grant_all_module_rights(admin, module)

    def history(self, authority, action, **kw):
        """A history entry of ``authority``, made by the NIMIC's administrator."""
        self.db.session.add(
            HistoryEntry(
                actor_user_id=self.w.nimic_admin.id,
                actor_name="Anna Kalniņa",
                actor_authority_id=self.w.nimic.id,
                authority_id=authority.id,
                authority_name=authority.official_name,
                action=action,
                **kw,
            )
        )

    def invitation(self, email, status, authority=None):
        w = self.w
        return Invitation(
            country_id=w.nimic.country_id,
            inviting_authority_id=w.nimic.id,
            invited_by_user_id=w.nimic_admin.id,
            token_hash=new_token()[1],
            email=email,
            suggested_name="Jaunā iestāde",
            language="en",
            status=status,
            expires_at=utcnow() + timedelta(days=30),
            authority=authority,
        )


def pages(w, registration):
    """(page, URL, htmx, POST data or None, a text the newest row puts on the page, with {i} its
    number) for every page type."""
    plain, svc = w.plain.id, w.svc.id
    riga = "Rīgas būvvalde {i}"
    tab_rows = {
        "authority": "Q{i}",  # the modules the retirement section would suspend
        "classification": "Field {i}",
        "modules": "Koordinators {i}",
        "users": "plain.user{i}",
        "management": "Pārvaldnieks {i}",
    }
    return [
        ("home", "/", False, None, "Right R{i}A"),
        ("managed authorities", "/authorities/", False, None, riga),
        ("managed authorities (htmx)", "/authorities/", True, None, riga),
        ("managed authorities, filtered", f"/authorities/?q=valde&status=all&mine=no&module={svc}", False, None, riga),
        ("managed authorities, filtered (htmx)", f"/authorities/?q=valde&city=r&module={svc}", True, None, riga),
        (
            "managed authorities, by classification (htmx)",
            f"/authorities/?status=all&classification={w.general.entries[0].id}&without_module={w.ecom.id}",
            True,
            None,
            riga,
        ),
        *[(f"tab {tab}", f"/authorities/{plain}/{tab}", False, None, shows) for tab, shows in tab_rows.items()],
        *[(f"tab {tab} (htmx)", f"/authorities/{plain}/{tab}", True, None, tab_rows[tab]) for tab in HTMX_TABS],
        ("management history (htmx)", f"/authorities/{plain}/management/history?history_page=1", True, None, "Jelgava {i}"),
        ("directory", "/directory/", False, None, "Country {i}"),
        ("directory, filtered (htmx)", f"/directory/?q=valde&module={svc}", True, None, riga),
        ("directory: an authority", f"/directory/{plain}", False, None, "Module Q{i}"),
        ("for validation", "/validation/", False, None, "Cēsu novada būvvalde {i}"),
        ("for validation (htmx)", "/validation/", True, None, "Cēsu novada būvvalde {i}"),
        ("for validation: a registration", f"/validation/{registration.id}", False, None, "Cēsu novada būvvalde {i}"),
        ("registration invitations", "/invitations/", False, None, "cesis{i}@"),
        ("registration invitations (htmx)", "/invitations/", True, None, "cesis{i}@"),
        ("send e-mail", "/mailing/", False, None, "Ziņa {i}"),
        ("send e-mail: authorities (htmx)", "/mailing/authorities", True, {"mine": "no", "q": "valde"}, "Rīgas būvvalde {i}"),
        ("access overview", "/access-overview/?mine=no", False, None, riga),
        ("access overview (htmx)", "/access-overview/?mine=no", True, None, riga),
        ("security events", "/security-events/", False, None, "plain.user{i}"),
        ("security events (htmx)", "/security-events/?kind=login_failed", True, None, "plain.user{i}"),
        ("my account: password", "/account/password", False, None, ""),
        ("my account: sessions", "/account/sessions", False, None, "198.51.100.{i}"),
        ("my account: sign-in security", "/account/security/", False, None, "Atslēga {i}"),
    ]


def measure(query_count, client, editing, w, rows) -> dict:
    """Page → statements; each page must show the newest row, or it would not prove anything."""
    counts, missing = {}, []
    newest = rows.added - 1
    visits = [(name, client, *page) for name, *page in pages(w, rows.registrations[0])]
    visits += [
        (f"tab {tab}, editing", editing, f"/authorities/{w.plain.id}/{tab}", False, None, shows)
        for tab, shows in EDITED_TABS.items()
    ]
    for name, who, url, htmx, data, shows in visits:
        counts[name], html = query_count.request(who, url, htmx=htmx, data=data)
        if shows.format(i=newest) not in html:
            missing.append(f"{name}: {shows.format(i=newest)!r}")
    assert not missing, "these pages do not show the rows added:\n  " + "\n  ".join(missing)
    return counts


def test_no_page_issues_a_query_per_row(world, login, db, factory, query_count):
    rows = Rows(world, factory, db)
    rows.add(FEW)
    client = login("nimic.admin")
    editing = login("nimic.admin")
    assert editing.get(f"/authorities/{world.plain.id}/authority/edit").status_code == 200

    few = measure(query_count, client, editing, world, rows)
    rows.add(MORE)
    many = measure(query_count, client, editing, world, rows)
    assert_flat(few, many, LIMIT)


def test_home_lists_the_rights_by_module_in_code_order(world, login, db):
    """What "My user rights" showed before its modules were read with the rights."""
    for module in (world.svc, world.ecom, world.pq):
        grant_all_module_rights(world.nimic_admin, module)
    db.session.commit()
    html = login("nimic.admin").get("/").get_data(as_text=True)
    rows = [html.index(f"Module {code}</th>") for code in ("ECOM", "PQ", "SVC")]
    assert rows == sorted(rows)
    assert "Module SVC</th>\n        <td>Right SEND, Right REPLY</td>" in html
