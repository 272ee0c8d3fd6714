"""call outcomes: each call's SLA outcome and business times (call_outcome) and the SLA sums
per contract and month (contract_month), kept on commit; `flask pws rebuild-indicators` fills
them for the calls that exist; the gestor's choice of the monthly indicators e-mail

Revision ID: 0015
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ab_user") as batch:
        batch.add_column(sa.Column("email_indicators", sa.Boolean(), server_default=sa.false(),
                                   nullable=False))
    op.create_table(
        "call_outcome",
        sa.Column("call_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column("equipment_id", sa.Integer(), nullable=True),
        sa.Column("model_id", sa.Integer(), nullable=True),
        sa.Column("technician_id", sa.Integer(), nullable=True),
        sa.Column("defect_type_id", sa.Integer(), nullable=True),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=1), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("opened_week", sa.Date(), nullable=False),
        sa.Column("closed_week", sa.Date(), nullable=True),
        sa.Column("closed_month", sa.Date(), nullable=True),
        sa.Column("due_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=6), nullable=True),
        sa.Column("first_attendance_at", sa.DateTime(), nullable=True),
        sa.Column("response_seconds", sa.Integer(), nullable=True),
        sa.Column("repair_seconds", sa.Integer(), nullable=True),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("resolved_in_pre_service", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["service_call.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("call_id"),
    )
    with op.batch_alter_table("call_outcome") as batch:
        batch.create_index("ix_call_outcome_company_opened", ["company_id", "opened_at"])
        batch.create_index("ix_call_outcome_client_opened", ["client_id", "opened_at"])
        batch.create_index("ix_call_outcome_status_opened", ["status", "opened_at"])
        batch.create_index("ix_call_outcome_contract_month", ["contract_id", "closed_month"])
        batch.create_index("ix_call_outcome_equipment_opened", ["equipment_id", "opened_at"])
        batch.create_index("ix_call_outcome_outcome_closed", ["outcome", "closed_at"])
    op.create_table(
        "contract_month",
        sa.Column("contract_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("company_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("closed", sa.Integer(), nullable=False),
        sa.Column("met", sa.Integer(), nullable=False),
        sa.Column("missed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["contract_id"], ["contract.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("contract_id", "month", "company_id"),
    )
    with op.batch_alter_table("contract_month") as batch:
        batch.create_index("ix_contract_month_month", ["month", "company_id"])
    op.create_table(
        "monthly_indicators_sent",
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["ab_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "month"),
    )


def downgrade():
    op.drop_table("monthly_indicators_sent")
    op.drop_table("contract_month")
    op.drop_table("call_outcome")
    with op.batch_alter_table("ab_user") as batch:
        batch.drop_column("email_indicators")
