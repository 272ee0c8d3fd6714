"""concurrent edits and double submits: a version on every row people edit, one-time form tokens

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

VERSIONED = ("ab_user", "business_calendar", "defect_type", "holiday", "service_call", "supply_request")


def upgrade():
    for table in VERSIONED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("row_version", sa.Integer(), server_default="1", nullable=False))
    op.create_table(
        "idempotency_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("location", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    with op.batch_alter_table("idempotency_key") as batch:
        batch.create_index("ix_idempotency_key_created_at", ["created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("idempotency_key") as batch:
        batch.drop_index("ix_idempotency_key_created_at")
    op.drop_table("idempotency_key")
    for table in reversed(VERSIONED):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("row_version")
