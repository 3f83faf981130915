"""authority.rejected_at: when an invited registration was rejected (deleted 30 days later)

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("authority", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=True))
    # Registrations rejected before: counted from their last change, which was the rejection.
    op.execute("UPDATE authority SET rejected_at = updated_at WHERE status = 'rejected'")


def downgrade():
    with op.batch_alter_table("authority", schema=None) as batch_op:
        batch_op.drop_column("rejected_at")
