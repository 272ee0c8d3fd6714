"""indicator indexes: a period's outcomes read from the index alone (times by closing date,
repeats by opening date)

Revision ID: 0021
Revises: 0020
"""
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_call_outcome_closed_times", ["closed_at", "status", "company_id", "defect_type_id", "model_id",
                                      "technician_id", "response_seconds", "repair_seconds"]),
    ("ix_call_outcome_opened_gaps", ["opened_at", "company_id", "equipment_id", "previous_gap_seconds"]),
)


def upgrade():
    for name, columns in INDEXES:
        op.create_index(name, "call_outcome", columns)


def downgrade():
    for name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name="call_outcome")
