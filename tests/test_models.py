"""The domain model on SQLite and PostgreSQL."""

import pytest
import sqlalchemy as sa

from imi_web.models import Authority, HistoryEntry, User
from tests.conftest import BACKENDS

pytestmark = pytest.mark.parametrize("backend", BACKENDS)


def test_one_nimic_per_country(factory, db):
    factory.nimic("LV")
    factory.commit()
    with pytest.raises(sa.exc.IntegrityError):
        factory.nimic("LV")
    db.session.rollback()
    factory.nimic("EE")  # another country may have its own
    factory.commit()
    assert db.session.scalar(sa.select(sa.func.count()).where(Authority.is_nimic.is_(True))) == 2


def test_search_columns_are_folded(factory, db):
    authority = factory.authority(name="Rīgas Būvvalde", informal_name="Būvvalde", city="Rīga")
    factory.commit()
    assert authority.search_name == "rigas buvvalde buvvalde"
    assert authority.search_city == "riga"
    found = db.session.scalars(sa.select(Authority).where(Authority.search_name.like("rigas%"))).all()
    assert found == [authority]


def test_usernames_unique_case_insensitively(factory, db):
    factory.user(username="JBerzins")
    factory.commit()
    assert db.session.scalar(sa.select(User.username)) == "jberzins"
    with pytest.raises(sa.exc.IntegrityError):
        factory.user(username="jberzins")
    db.session.rollback()


def test_timestamps_come_back_in_utc(factory, db):
    user = factory.user()
    factory.commit()
    db.session.expire_all()
    assert db.session.get(User, user.id).password_set_at.utcoffset().total_seconds() == 0


def test_history_keeps_old_and_new_as_json(factory, db):
    from imi_web import history

    authority = factory.authority(name="Vecais")
    history.record(
        "authority.updated",
        actor=None,
        authority=authority,
        subject=authority,
        changes={"official_name": ["Vecais", "Jaunais"]},
    )
    factory.commit()
    entry = db.session.scalar(sa.select(HistoryEntry))
    assert entry.changes == {"official_name": ["Vecais", "Jaunais"]}
    assert entry.authority_name == "Vecais"


def test_delegation_scope_decides_which_modules_an_access_manager_manages(factory, db):
    from imi_web.models import DelegationScope

    pq, svc = factory.module("PQ"), factory.module("SVC")
    nimic = factory.nimic("LV")
    full = factory.authority(access_manager_scope=DelegationScope.FULL)
    partial = factory.authority(access_manager_scope=DelegationScope.PARTIAL)
    partial.delegated_modules.append(pq)
    plain = factory.authority()
    factory.commit()
    db.session.expire_all()
    assert nimic.manages_module(pq) and nimic.manages_module(svc)
    assert full.manages_module(svc)
    assert partial.manages_module(pq) and not partial.manages_module(svc)
    assert not plain.is_access_manager and not plain.manages_module(pq)


def test_stale_authority_update_is_refused(factory, db, app):
    """Optimistic locking: a save based on an old version never silently wins (R-3.2)."""
    from sqlalchemy.orm import Session

    authority = factory.authority(name="Pirmā versija")
    factory.commit()
    with Session(db.engine) as other:
        stale = other.get(Authority, authority.id)
        authority.official_name = "Otrā versija"
        factory.commit()
        stale.official_name = "Novecojusi versija"
        with pytest.raises(sa.orm.exc.StaleDataError):
            other.commit()
    db.session.refresh(authority)
    assert authority.official_name == "Otrā versija"


def test_connections_have_the_apps_settings(db, backend):
    """SQLite: foreign keys enforced, WAL (readers beside a writer). PostgreSQL: no generic plan
    for prepared statements (psycopg prepares after five runs), so a broad term ("rig") and a
    rare one each get their own plan."""
    if backend == "postgresql":
        assert db.session.execute(sa.text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"
    else:
        assert db.session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        assert db.session.execute(sa.text("PRAGMA journal_mode")).scalar() in ("wal", "memory")
