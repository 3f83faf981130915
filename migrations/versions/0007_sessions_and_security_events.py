"""user_session (server-side sign-in sessions) and security_event; user_account.session_nonce goes

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("address", sa.String(length=45), nullable=False),
        sa.Column("browser", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_user_session_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_session_token_hash")),
    )
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_session_user_id"), ["user_id"], unique=False)

    op.create_table(
        "security_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("user_name", sa.String(length=210), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=True),
        sa.Column("authority_name", sa.String(length=300), nullable=False),
        sa.Column("country_id", sa.Integer(), nullable=True),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=210), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("route", sa.String(length=100), nullable=False),
        sa.Column("object", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=45), nullable=False),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_user_id"], ["user_account.id"], name=op.f("fk_security_event_actor_user_id_user_account"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["authority_id"], ["authority.id"], name=op.f("fk_security_event_authority_id_authority"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["country_id"], ["country.id"], name=op.f("fk_security_event_country_id_country"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_security_event_user_id_user_account"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_event")),
    )
    with op.batch_alter_table("security_event", schema=None) as batch_op:
        batch_op.create_index("ix_security_event_authority_time", ["authority_id", "occurred_at"], unique=False)
        batch_op.create_index("ix_security_event_country_time", ["country_id", "occurred_at"], unique=False)
        batch_op.create_index("ix_security_event_time", ["occurred_at"], unique=False)
        batch_op.create_index("ix_security_event_user_time", ["user_id", "occurred_at"], unique=False)
        batch_op.create_index("ix_security_event_username_time", ["username", "occurred_at"], unique=False)

    # Sessions now live in user_session: every session signed with a nonce ends here.
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("session_nonce")


def downgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_nonce", sa.String(length=32), nullable=False, server_default="ended"))
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.alter_column("session_nonce", server_default=None)
    with op.batch_alter_table("security_event", schema=None) as batch_op:
        batch_op.drop_index("ix_security_event_username_time")
        batch_op.drop_index("ix_security_event_user_time")
        batch_op.drop_index("ix_security_event_time")
        batch_op.drop_index("ix_security_event_country_time")
        batch_op.drop_index("ix_security_event_authority_time")
    op.drop_table("security_event")
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_session_user_id"))
    op.drop_table("user_session")
