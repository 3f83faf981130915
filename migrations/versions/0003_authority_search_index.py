"""authority: index-bound name search (SQLite FTS5 trigram, PostgreSQL pg_trgm)

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    from imi_web.models.search_index import create_search_index, rebuild_search_index

    connection = op.get_bind()
    create_search_index(connection)
    rebuild_search_index(connection)  # index the authorities already there


def downgrade():
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS authority_fts")
    elif connection.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_authority_search_name_trgm")
        op.execute("DROP INDEX IF EXISTS ix_authority_search_city_trgm")
