"""Fixtures of the authorities area: a country with its NIMIC, modules and coordinators."""

from types import SimpleNamespace

import pytest

from imi_web.models import (
    AccessManagerLink,
    ClassificationEntry,
    ClassificationList,
    DelegationScope,
    ModuleAccess,
    ModuleRole,
)
from tests.conftest import Client, Factory


@pytest.fixture
def world(factory, db):
    """LV with its NIMIC and admins of several kinds; three modules; an EE access manager."""
    nimic = factory.nimic("LV")
    general = ClassificationList(code="FIELDS", name_lv="Kompetences jomas", name_en="Fields of competence")
    general.entries = [
        ClassificationEntry(code="HEALTH", name_lv="Veselība", name_en="Health", position=0),
        ClassificationEntry(code="BUILD", name_lv="Būvniecība", name_en="Construction", position=1),
    ]
    db.session.add(general)
    pq = factory.module("PQ", is_information_request=True, linked_coordinator_required=True)
    pq_list = ClassificationList(code="PQ", name_lv="Profesijas", name_en="Professions", module=pq)
    pq_list.entries = [
        ClassificationEntry(code="DOC", name_lv="Ārsti", name_en="Doctors", position=0),
        ClassificationEntry(code="ARCH", name_lv="Arhitekti", name_en="Architects", position=1),
    ]
    db.session.add(pq_list)
    svc = factory.module("SVC")
    ecom = factory.module("ECOM")
    coordinator = factory.authority(name="Veselības inspekcija")
    db.session.add(ModuleAccess(authority=coordinator, module=pq, role=ModuleRole.COORDINATOR))
    partial = factory.authority(name="Akadēmiskās informācijas centrs", access_manager_scope=DelegationScope.PARTIAL)
    partial.delegated_modules.append(pq)
    plain = factory.authority(name="Jelgavas būvvalde")
    db.session.add(AccessManagerLink(managed=plain, manager=nimic))
    estonia = factory.authority(name="Eesti asutus", country="EE", access_manager_scope=DelegationScope.FULL)
    w = SimpleNamespace(
        nimic=nimic,
        general=general,
        pq=pq,
        svc=svc,
        ecom=ecom,
        coordinator=coordinator,
        partial=partial,
        plain=plain,
        estonia=estonia,
        nimic_admin=factory.user(nimic, username="nimic.admin", is_admin=True),
        nimic_user=factory.user(nimic, username="nimic.user", is_admin=False),
        partial_admin=factory.user(partial, username="partial.admin", is_admin=True),
        plain_admin=factory.user(plain, username="plain.admin", is_admin=True),
        estonia_admin=factory.user(estonia, username="ee.admin", is_admin=True),
    )
    factory.commit()
    return w


@pytest.fixture
def login(app):
    """``login(username)`` → a Client logged in as that user."""

    def _login(username):
        client = Client(app.test_client())
        response = client.login(username, Factory.PASSWORD)
        assert response.status_code == 303, response.get_data(as_text=True)
        return client

    return _login


def start_editing(client, authority):
    """Press "Edit authority" (R-3.2): the tabs then offer their changes."""
    assert client.get(f"/authorities/{authority.id}/authority/edit").status_code == 200
    return client
