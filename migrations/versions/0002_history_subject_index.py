"""history: index by subject

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("history_entry", schema=None) as batch_op:
        batch_op.create_index("ix_history_entry_subject", ["subject_type", "subject_id"], unique=False)


def downgrade():
    with op.batch_alter_table("history_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_history_entry_subject")
