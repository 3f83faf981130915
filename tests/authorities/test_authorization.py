"""Who may not: 404 on every route of an authority out of sight (as if it did not exist), 403
for an action on one the user may see; page and partial alike, and nothing changes."""

import pytest
import sqlalchemy as sa

from imi_web.models import Authority, HistoryEntry, ModuleAccess, ModuleRole, OutboxMessage, User
from tests.conftest import BACKENDS

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


def snapshot(db):
    db.session.expire_all()
    return (
        db.session.scalar(sa.select(sa.func.count()).select_from(Authority)),
        db.session.scalar(sa.select(sa.func.count()).select_from(User)),
        db.session.scalar(sa.select(sa.func.count()).select_from(HistoryEntry)),
        db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)),
        [(a.id, a.role, a.status, a.linked_coordinator_id, a.version) for a in db.session.scalars(sa.select(ModuleAccess).order_by(ModuleAccess.id))],
    )


@pytest.fixture
def target(world, db, factory):
    """An authority managed by the NIMIC, with access to SVC, in LV."""
    access = ModuleAccess(authority=world.coordinator, module=world.svc, role=ModuleRole.AUTHORITY)
    db.session.add(access)
    factory.commit()
    return world.coordinator, access


def routes(authority, access, svc):
    a, m = authority.id, access.id
    gets = [f"/authorities/{a}", *(f"/authorities/{a}/{tab}" for tab in ("authority", "classification", "modules", "users", "management")),
            f"/authorities/{a}/modules/new?module={svc.id}", f"/authorities/{a}/modules/{m}", f"/authorities/{a}/modules/{m}/edit"]
    posts = [(f"/authorities/{a}/modules", {"module": svc.id, "role": "coordinator"}),
             (f"/authorities/{a}/modules/{m}/edit", {"role": "authority"}),
             (f"/authorities/{a}/modules/{m}/suspend", {}),
             (f"/authorities/{a}/modules/{m}/restore", {})]
    return gets, posts


@pytest.mark.parametrize("who", ["nimic.user", "plain.admin", "ee.admin"])
def test_outsiders_get_404_everywhere(world, target, login, db, who):
    authority, access = target
    client = login(who)
    before = snapshot(db)
    gets, posts = routes(authority, access, world.svc)
    for htmx in (False, True):
        if who != "ee.admin":  # an access manager of another country registers in its own country
            assert client.get("/authorities/new", htmx=htmx).status_code == 403, who
            assert client.post("/authorities/new", {"official_name": "X"}, htmx=htmx).status_code == 403
        for url in gets:
            assert client.get(url, htmx=htmx).status_code == 404, (who, url, htmx)
        for url, data in posts:
            assert client.post(url, data, htmx=htmx).status_code == 404, (who, url, htmx)
    assert snapshot(db) == before


def test_partial_delegate_outside_its_scope_gets_403(world, target, login, db):
    authority, access = target  # SVC is outside the partial delegate's scope (PQ only)
    client = login("partial.admin")
    before = snapshot(db)
    _gets, posts = routes(authority, access, world.svc)
    for htmx in (False, True):
        assert client.get(f"/authorities/{authority.id}/modules/new?module={world.svc.id}", htmx=htmx).status_code == 403
        assert client.get(f"/authorities/{authority.id}/modules/{access.id}/edit", htmx=htmx).status_code == 403
        for url, data in posts:
            assert client.post(url, data, htmx=htmx).status_code == 403, (url, htmx)
    assert snapshot(db) == before


def test_anonymous_is_sent_to_login(world, target, client):
    authority, access = target
    gets, posts = routes(authority, access, world.svc)
    for url in gets:
        assert client.get(url).headers["Location"].startswith("/login")
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code in (303, 400)  # to login, or refused for want of a session's CSRF token


def test_own_administrators_see_their_authority_read_only(world, login):
    client = login("plain.admin")
    page = client.get(f"/authorities/{world.plain.id}/modules")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Grant access to a module" not in html and "Suspend access" not in html


def test_a_module_access_of_another_authority_is_404(world, target, login, factory, db):
    _authority, access = target
    client = login("nimic.admin")
    assert client.get(f"/authorities/{world.plain.id}/modules/{access.id}/edit").status_code == 404
    assert client.post(f"/authorities/{world.plain.id}/modules/{access.id}/suspend").status_code == 404
