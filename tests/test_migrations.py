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
