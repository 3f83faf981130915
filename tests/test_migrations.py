"""`flask db upgrade` builds the schema on an empty SQLite and an empty PostgreSQL database."""

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from imi_web import create_app
from imi_web.extensions import db
from tests.conftest import TEST_CONFIG


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database(request, tmp_path):
    if request.param == "postgresql":
        cluster = request.getfixturevalue("postgres_cluster")
        url = cluster.url("imi_migrations")
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
        return url
    return "sqlite:///" + str(tmp_path / "empty.sqlite3")


def test_upgrade_builds_the_model_and_downgrade_removes_it(empty_database):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade()
        inspector = sa.inspect(db.engine)
        tables = set(inspector.get_table_names())
        assert set(db.metadata.tables) <= tables
        # The migrations match the models: autogenerate finds nothing to do.
        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext

        with db.engine.connect() as conn:
            from imi_web.models.search_index import include_object

            context = MigrationContext.configure(conn, opts={"include_object": include_object})
            diff = compare_metadata(context, db.metadata)
        assert diff == []
        index_names = {ix["name"] for ix in inspector.get_indexes("authority")}
        assert {"uq_authority_nimic_per_country", "ix_authority_country_status_name"} <= index_names
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_upgrade_indexes_the_authorities_already_there(empty_database):
    """Migrations 0005 and 0006 on a database with data: the name postings of every authority,
    and each module access's copy of its authority's folded name."""
    from imi_web.models import Authority, Country, Module, ModuleAccess, ModuleRole
    from tests.fixtures.search import assert_name_postings_match

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade()
        latvia = Country(code="LV", name_lv="Latvija", name_en="Latvia")
        riga = Authority(country=latvia, official_name="Rīgas pilsētas būvvalde", informal_name="Būvvalde")
        ogre = Authority(country=latvia, official_name="Ogres novada pašvaldība")
        module = Module(code="SVC", name_lv="Pakalpojumi", name_en="Services")
        db.session.add_all([riga, ogre, ModuleAccess(authority=riga, module=module, role=ModuleRole.AUTHORITY)])
        db.session.commit()
        db.session.remove()
        downgrade(revision="0004")  # back to before the postings and the copied names
        assert "authority_name_trigram" not in sa.inspect(db.engine).get_table_names()
        upgrade()
        assert_name_postings_match(db)
        assert db.session.execute(sa.select(sa.func.count()).select_from(sa.text("authority_name_trigram"))).scalar() > 20
        copied = db.session.execute(sa.select(ModuleAccess.authority_name, Authority.search_name).join(ModuleAccess.authority)).all()
        assert copied == [("rigas pilsetas buvvalde buvvalde", "rigas pilsetas buvvalde buvvalde")]
        db.session.remove()
        db.engine.dispose()
