"""call weeks: calls opened and closed per client, contract and week (call_week), and each
outcome's gap to its equipment's previous call, kept on commit with call_outcome; `flask pws
rebuild-indicators` fills them for the calls that exist

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("call_outcome") as batch:
        batch.add_column(sa.Column("previous_gap_seconds", sa.Integer(), nullable=True))
        batch.create_index("ix_call_outcome_client_opened_week", ["client_id", "opened_week"])
        batch.create_index("ix_call_outcome_client_closed_week", ["client_id", "closed_week"])
    op.create_table(
        "call_week",
        sa.Column("client_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("contract_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("company_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("opened", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Integer(), nullable=False),
        sa.Column("repaired", sa.Integer(), nullable=False),
        sa.Column("visited", sa.Integer(), nullable=False),
        sa.Column("first_visit", sa.Integer(), nullable=False),
        sa.Column("pre_service", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("client_id", "week", "contract_id", "company_id"),
    )
    with op.batch_alter_table("call_week") as batch:
        batch.create_index("ix_call_week_week", ["week", "company_id", "client_id", "contract_id", "opened",
                                                 "closed", "repaired", "visited", "first_visit", "pre_service"])


def downgrade():
    op.drop_table("call_week")
    with op.batch_alter_table("call_outcome") as batch:
        batch.drop_index("ix_call_outcome_client_closed_week")
        batch.drop_index("ix_call_outcome_client_opened_week")
        batch.drop_column("previous_gap_seconds")
