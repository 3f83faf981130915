"""module_access: the authority's name, so a module's partners by role come in name order

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("module_access", schema=None) as batch_op:
        batch_op.add_column(sa.Column("authority_name", sa.String(length=610), nullable=False, server_default=""))
    op.execute(
        "UPDATE module_access SET authority_name = "
        "(SELECT authority.search_name FROM authority WHERE authority.id = module_access.authority_id)"
    )
    with op.batch_alter_table("module_access", schema=None) as batch_op:
        batch_op.alter_column("authority_name", server_default=None)
        batch_op.drop_index("ix_module_access_module_role_status")
        batch_op.create_index(
            "ix_module_access_module_role_status_name",
            ["module_id", "role", "status", "authority_name", "authority_id"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("module_access", schema=None) as batch_op:
        batch_op.drop_index("ix_module_access_module_role_status_name")
        batch_op.create_index("ix_module_access_module_role_status", ["module_id", "role", "status", "authority_id"], unique=False)
        batch_op.drop_column("authority_name")
