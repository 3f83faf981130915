"""authority: when the deletion reminder was sent (R-5.3)

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("authority", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deletion_reminder_sent_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("authority", schema=None) as batch_op:
        batch_op.drop_column("deletion_reminder_sent_at")
