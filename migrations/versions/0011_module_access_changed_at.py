"""module_access.changed_at: when the access last changed (the access overview's export)

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("module_access", schema=None) as batch_op:
        batch_op.add_column(sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True))
    # Accesses granted before: their last known change, the suspension or else the grant.
    op.execute("UPDATE module_access SET changed_at = COALESCE(suspended_at, granted_at)")


def downgrade():
    with op.batch_alter_table("module_access", schema=None) as batch_op:
        batch_op.drop_column("changed_at")
