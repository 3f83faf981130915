"""CSV exports (issue 19): the access overview, managed authorities, an authority's users and
the security events — header in the reader's language, BOM, diacritics, formula injection,
the screens' permissions (403, recorded), the export recorded with its row count."""

import csv
import io

import pytest

from imi_web.models import AccessManagerLink, AccessStatus, ModuleAccess, ModuleRole, SecurityEvent, User
from imi_web.exports import safe_cell
from tests.conftest import BACKENDS

pytestmark = pytest.mark.parametrize("backend", BACKENDS)

INJECTION = '=HYPERLINK("http://x","y")'


@pytest.fixture
def data(world, db, factory):
    riga = factory.authority(name="Rīgas būvvalde", informal_name="+371 būvvalde", city="Rīga")
    evil = factory.authority(name=INJECTION, informal_name="@SUM(A1)", city="-Ogre")
    for authority in (riga, evil):
        db.session.add(AccessManagerLink(managed=authority, manager=world.nimic))
    db.session.add_all([
        ModuleAccess(authority=riga, module=world.pq, role=ModuleRole.AUTHORITY, linked_coordinator=world.coordinator),
        ModuleAccess(authority=riga, module=world.svc, role=ModuleRole.COORDINATOR, status=AccessStatus.SUSPENDED),
        ModuleAccess(authority=evil, module=world.svc, role=ModuleRole.AUTHORITY),
        ModuleAccess(authority=world.estonia, module=world.svc, role=ModuleRole.COORDINATOR),
    ])
    janis = factory.user(riga, username="riga.user", first_name="Jānis", surname="Bērziņš", is_admin=True)
    janis.module_rights = [world.svc.rights[1], world.pq.rights[0], world.svc.rights[0]]
    factory.user(riga, username="riga.other", first_name="\tTab", surname="-minus")
    factory.commit()
    return {"riga": riga, "evil": evil}


def read(response, delimiter=","):
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="')
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: spreadsheet programs read UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=delimiter))


def as_latvian(db, username):
    db.session.query(User).filter_by(username=username).update({"language": "lv"})
    db.session.commit()


def test_safe_cell_neutralizes_formulas(backend):
    for value in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", INJECTION):
        assert safe_cell(value) == "'" + value
    for value in ("Rīga", "1-2", "a=b", "", None):
        assert safe_cell(value) == (value or "")


def test_access_overview_export(world, data, login, db):
    client = login("nimic.admin")
    rows = read(client.get("/access-overview/export.csv?mine=no"))
    assert rows[0] == ["Official name", "Informal name", "City", "Authority status", "Module", "Module name", "Role",
                       "Access status", "Linked coordinator", "Granted", "Changed"]
    riga = [r for r in rows if r[0] == "Rīgas būvvalde"]
    assert [r[4:9] for r in riga] == [
        ["PQ", "Module PQ", "authority", "active", "Veselības inspekcija"],
        ["SVC", "Module SVC", "coordinator", "suspended", ""],
    ]
    assert riga[0][1] == "'+371 būvvalde"  # a formula sign: shown as text
    evil = [r for r in rows if "HYPERLINK" in r[0]]
    assert evil == [["'" + INJECTION, "'@SUM(A1)", "'-Ogre", "active", "SVC", "Module SVC", "authority", "active", "",
                     evil[0][9], evil[0][10]]]
    assert all(not r[0].startswith("=") for r in rows)
    assert not any("Eesti" in cell for r in rows for cell in r)  # never another country's
    # Authorities without access to any module: one line, no module.
    assert ["Jelgavas būvvalde", "", "", "active", "", "", "", "", "", "", ""] in rows
    event = db.session.query(SecurityEvent).filter_by(kind="export").one()
    assert (event.reason, event.count, event.username) == ("access_overview", len(rows) - 1, "nimic.admin")
    assert event.object == "access_overview?mine=no"


def test_access_overview_export_follows_the_criteria(world, data, login):
    client = login("nimic.admin")
    rows = read(client.get(f"/access-overview/export.csv?mine=no&suspended=yes"))
    assert {r[0] for r in rows[1:]} == {"Rīgas būvvalde"}
    rows = read(client.get(f"/access-overview/export.csv?mine=no&module={world.svc.id}&role=authority"))
    assert {r[0] for r in rows[1:]} == {"'" + INJECTION}


def test_export_in_latvian(world, data, login, db):
    as_latvian(db, "nimic.admin")
    client = login("nimic.admin")
    rows = read(client.get("/access-overview/export.csv?mine=no&q=rigas"), delimiter=";")
    assert rows[0][:4] == ["Oficiālais nosaukums", "Neoficiālais nosaukums", "Pilsēta", "Iestādes statuss"]
    assert rows[1][:4] == ["Rīgas būvvalde", "'+371 būvvalde", "Rīga", "aktīva"]
    assert rows[1][6] == "iestāde" and rows[2][6:8] == ["koordinators", "apturēta"]


def test_partial_delegate_exports_only_its_modules(world, data, login):
    rows = read(login("partial.admin").get("/access-overview/export.csv?mine=no"))
    assert {r[4] for r in rows[1:]} <= {"PQ", ""}
    assert ["Rīgas būvvalde", "'+371 būvvalde", "Rīga", "active", "PQ"] == [r for r in rows if r[0] == "Rīgas būvvalde"][0][:5]


def test_managed_authorities_export(world, data, login, db):
    client = login("nimic.admin")
    rows = read(client.get("/authorities/export.csv?q=valde"))
    assert rows == [["Official name", "Informal name", "City", "Status"],
                    ["Jelgavas būvvalde", "", "", "active"], ["Rīgas būvvalde", "'+371 būvvalde", "Rīga", "active"]]
    everyone = read(client.get("/authorities/export.csv?mine=no&status=all"))
    assert "Veselības inspekcija" in {r[0] for r in everyone} and "Eesti asutus" not in {r[0] for r in everyone}
    assert db.session.query(SecurityEvent).filter_by(kind="export", reason="managed_authorities").count() == 2


def test_users_export(world, data, login, db):
    riga = data["riga"]
    rows = read(login("nimic.admin").get(f"/authorities/{riga.id}/users/export.csv"))
    assert rows[0] == ["First name", "Surname", "Username", "E-mail", "Administrator rights", "User status",
                       "Password status", "Second factor", "User rights"]
    assert [r[:3] + r[4:8] for r in rows[1:]] == [
        ["'\tTab", "'-minus", "riga.other", "No", "new", "valid", "Not set"],  # in surname order
        ["Jānis", "Bērziņš", "riga.user", "Yes", "new", "valid", "Not set"],
    ]
    assert rows[2][8] == "PQ: Right SEND; SVC: Right SEND, Right REPLY"
    event = db.session.query(SecurityEvent).filter_by(kind="export").one()
    assert (event.reason, event.count, event.object) == ("users", 2, f"users?authority_id={riga.id}")


def test_security_events_export(world, data, login, db):
    client = login("nimic.admin")
    rows = read(client.get("/security-events/export.csv?kind=login_succeeded"))
    assert rows[0][:3] == ["Time", "Event", "Reason"]
    assert rows[1][1] == "Login succeeded" and rows[1][4] == "nimic.admin"
    assert not any("ee.admin" in cell for r in rows for cell in r)


@pytest.mark.parametrize("username,url,status", [
    ("nimic.user", "/access-overview/export.csv", 403),
    ("plain.admin", "/access-overview/export.csv", 403),
    ("nimic.user", "/authorities/export.csv", 403),
    ("partial.admin", "/security-events/export.csv", 403),
    # An authority the user may not see answers as one that does not exist (issue 15).
    ("ee.admin", "/authorities/{riga}/users/export.csv", 404),
    ("nimic.user", "/authorities/{riga}/users/export.csv", 404),
])
def test_refused_without_the_right(world, data, login, db, username, url, status):
    response = login(username).get(url.format(riga=data["riga"].id))
    assert response.status_code == status and b"\xef\xbb\xbf" not in response.get_data()
    refused = db.session.query(SecurityEvent).filter_by(kind="access_refused", username=username).one()
    assert refused.route.endswith("export") or refused.route.endswith("export_users")
    assert db.session.query(SecurityEvent).filter_by(kind="export").count() == 0
