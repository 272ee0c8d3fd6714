"""lists at dealer scale: newest-first indexes for staff who see every company

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# (index, table, columns): a list sorted by a date and scoped to all (or several) companies
# walks these backwards and stops after one page instead of sorting every row.
INDEXES = (
    ("ix_service_call_opened", "service_call", ["opened_at"]),
    ("ix_supply_request_requested", "supply_request", ["requested_at"]),
)


def upgrade():
    for name, table, columns in INDEXES:
        with op.batch_alter_table(table) as batch:
            batch.create_index(name, columns)


def downgrade():
    for name, table, _columns in INDEXES:
        with op.batch_alter_table(table) as batch:
            batch.drop_index(name)
