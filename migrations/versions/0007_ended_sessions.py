"""logout ends one session: ab_user.ended_sessions

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ab_user") as batch:
        batch.add_column(sa.Column("ended_sessions", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("ab_user") as batch:
        batch.drop_column("ended_sessions")
