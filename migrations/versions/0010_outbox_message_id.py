"""outbox_message.message_id: a stable Message-ID, so a mail sent again is recognisable

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.String(length=250), nullable=True))
    # Messages already queued get one made of their id (unique within the installation).
    op.execute("UPDATE outbox_message SET message_id = '<outbox.' || id || '@imi.invalid>'")
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.alter_column("message_id", existing_type=sa.String(length=250), nullable=False)


def downgrade():
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("message_id")
