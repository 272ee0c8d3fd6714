"""sessions ended server-side: ab_user.session_version

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ab_user") as batch:
        batch.add_column(sa.Column("session_version", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("ab_user") as batch:
        batch.drop_column("session_version")
