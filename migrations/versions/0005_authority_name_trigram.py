"""authority_name_trigram: the name search's hits in name order (trigram, name, id)

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    from imi_web.models.search_index import rebuild_name_postings

    op.create_table(
        "authority_name_trigram",
        sa.Column("trigram", sa.String(length=3), nullable=False),
        sa.Column("search_name", sa.String(length=610), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("trigram", "search_name", "authority_id", name=op.f("pk_authority_name_trigram")),
        sqlite_with_rowid=False,
    )
    rebuild_name_postings(op.get_bind())  # the authorities already there


def downgrade():
    op.drop_table("authority_name_trigram")
