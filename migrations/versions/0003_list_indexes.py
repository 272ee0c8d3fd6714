"""lists at dealer scale: newest-first indexes, the NF's delivery flag

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# (index, table, columns): a list sorted by a date and scoped to all (or several) companies
# walks these backwards and stops after one page instead of sorting every row; the carriers'
# "pendentes" walks the NFs without a delivery instead of anti-joining every NF ever issued.
INDEXES = (
    ("ix_service_call_opened", "service_call", ["opened_at"]),
    ("ix_service_call_technician_company_opened", "service_call", ["technician_id", "company_id", "opened_at"]),
    ("ix_supply_request_requested", "supply_request", ["requested_at"]),
    ("ix_invoice_pending", "invoice", ["confirmed", "status", "issued_at", "id", "carrier_id"]),
    ("ix_invoice_carrier_confirmed_issued", "invoice", ["carrier_id", "confirmed", "issued_at"]),
)


def upgrade():
    with op.batch_alter_table("invoice") as batch:
        batch.add_column(sa.Column("confirmed", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute("UPDATE invoice SET confirmed = 1 WHERE id IN (SELECT invoice_id FROM delivery)")
    for name, table, columns in INDEXES:
        with op.batch_alter_table(table) as batch:
            batch.create_index(name, columns)


def downgrade():
    for name, table, _columns in INDEXES:
        with op.batch_alter_table(table) as batch:
            batch.drop_index(name)
    with op.batch_alter_table("invoice") as batch:
        batch.drop_column("confirmed")
