"""CSRF on every state change, proven for every route (issue 21 point 1).

The test walks ``app.url_map``: every rule accepting POST, PUT, PATCH or DELETE gets, from the
NIMIC's administrator (who may use every route of the fixture world), a request (a) without a
token, (b) with the token of another session, (c) as htmx without the ``X-CSRFToken`` header.
Each must answer 400 and change nothing in the database. A route added later is covered without
editing this file; one whose path variables this world cannot fill fails loudly.
"""

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from imi_web.models import (
    AccessManagerLink,
    AuthorityStatus,
    DelegationScope,
    Invitation,
    InvitationStatus,
    ModuleAccess,
    ModuleRole,
    Passkey,
    UserSession,
    utcnow,
)
from tests.conftest import BACKENDS, Client

pytestmark = pytest.mark.parametrize("backend", BACKENDS)

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def app_config():
    return {"SESSION_TOUCH_SECONDS": 3600}  # no "last activity" write during the test


@pytest.fixture
def world(app, db, factory):
    """A country with its NIMIC, a managed authority with users and module access, a second
    access manager, an invitation and a registration awaiting validation."""
    nimic = factory.nimic()
    coordinator = factory.user(nimic, is_admin=True)
    target = factory.authority()
    other_manager = factory.authority(access_manager_scope=DelegationScope.FULL)
    for manager in (nimic, other_manager):
        db.session.add(AccessManagerLink(managed_authority_id=target.id, manager_authority_id=manager.id))
    admin = factory.user(target, is_admin=True)
    user = factory.user(target)
    module = factory.module()
    access = ModuleAccess(authority=target, module=module, role=ModuleRole.AUTHORITY)
    db.session.add(access)
    invitation = Invitation(country_id=nimic.country_id, inviting_authority_id=nimic.id, invited_by_user_id=coordinator.id,
                            email="new@example.lv", token_hash="0" * 64, status=InvitationStatus.SENT,
                            expires_at=utcnow() + timedelta(days=30))
    registration = factory.authority(status=AuthorityStatus.AWAITING_VALIDATION)
    factory.user(registration, is_admin=True)
    db.session.add_all([invitation])
    db.session.add(Passkey(user_id=coordinator.id, name="key", credential_id="cred-1", public_key=b"k"))
    db.session.commit()
    return {
        "coordinator": coordinator,
        "ids": {
            "authority_id": target.id,
            "user_id": user.id,
            "access_id": access.id,
            "manager_id": other_manager.id,
            "invitation_id": invitation.id,
            "passkey_id": db.session.scalar(sa.select(Passkey.id)),
        },
        # Endpoints whose authority is of another kind than the managed one.
        "authority_by_blueprint": {"validation": registration.id},
    }


def fingerprint(db) -> dict:
    """Row count and content hash of every table."""
    db.session.rollback()
    result = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            rows = sorted(repr(tuple(row)) for row in conn.execute(sa.select(table)))
            result[table.name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return result


def state_changing_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.methods & STATE_CHANGING]


def url_for_rule(rule, world) -> str:
    values = {}
    for name in rule.arguments:
        if name == "authority_id" and rule.endpoint.split(".")[0] in world["authority_by_blueprint"]:
            values[name] = world["authority_by_blueprint"][rule.endpoint.split(".")[0]]
        elif name == "session_id":
            values[name] = world["session_id"]
        elif name in world["ids"]:
            values[name] = world["ids"][name]
        else:
            pytest.fail(f"{rule.rule} ({rule.endpoint}): no id for <{name}>; add one to the world of tests/test_csrf.py")
    return rule.build(values, append_unknown=False)[1]


def signed_in(app, user, factory) -> Client:
    client = Client(app.test_client())
    response = client.login(user.username, factory.PASSWORD)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return client


def test_every_state_change_refuses_a_request_without_a_valid_token(app, db, factory, world):
    rules = state_changing_rules(app)
    assert len(rules) > 30  # the walk found the routes
    ours, theirs = signed_in(app, world["coordinator"], factory), signed_in(app, world["coordinator"], factory)
    world["session_id"] = db.session.scalars(sa.select(UserSession.id).order_by(UserSession.id)).first()
    other_token = theirs.csrf_token()
    assert other_token != ours.csrf_token()
    form = {"is_admin": "", "username": "renamed", "manager": str(world["ids"]["manager_id"]), "email": "x@example.lv"}
    before = fingerprint(db)
    failures = []
    for rule in rules:
        url = url_for_rule(rule, world)
        for method in sorted(rule.methods & STATE_CHANGING):
            attempts = {
                "no token": dict(data=form),
                "another session's token": dict(data={**form, "csrf_token": other_token},
                                                headers={"X-CSRFToken": other_token}),
                "htmx without the header": dict(data=form, headers={"HX-Request": "true"}),
            }
            for name, kwargs in attempts.items():
                response = ours.raw.open(url, method=method, **kwargs)
                if response.status_code != 400:
                    failures.append(f"{method} {url} ({rule.endpoint}), {name}: {response.status_code}")
                after = fingerprint(db)
                if after != before:
                    changed = sorted(t for t in after if after[t] != before[t])
                    failures.append(f"{method} {url} ({rule.endpoint}), {name}: changed {changed}")
                    before = after
    assert failures == []
    # The same session with its own token is let through (so the 400s above were the token's doing).
    response = ours.post(f"/authorities/{world['ids']['authority_id']}/users/{world['ids']['user_id']}/delete")
    assert response.status_code == 303
