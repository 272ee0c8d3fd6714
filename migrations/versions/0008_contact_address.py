"""call contact addresses confirmed by their owner before they receive a call's e-mails

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql


def exact_string(length: int):
    """As app.core.db.exact_string: a token digest compared byte for byte on MariaDB too."""
    return sa.String(length).with_variant(mysql.VARCHAR(length, collation="utf8mb4_bin"), "mysql", "mariadb")


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "contact_address",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("token_hash", exact_string(64), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["requested_by_id"], ["ab_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id", "email", name="uq_contact_address_client_email"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("contact_address") as batch:
        batch.create_index("ix_contact_address_email", ["email"])
        batch.create_index("ix_contact_address_requested_by_id", ["requested_by_id"])


def downgrade():
    op.drop_table("contact_address")
