"""client filter indexes: supplies and deliveries under a client name filter checked in the index

Revision ID: 0024
Revises: 0023
"""
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

CHANGES = (
    ("supply_request", "ix_supply_request_client_requested",
     ["client_id", "requested_at"], ["client_id", "requested_at", "id", "company_id"]),
    ("invoice", "ix_invoice_pending", ["confirmed", "status", "issued_at", "id", "carrier_id"],
     ["confirmed", "status", "issued_at", "id", "carrier_id", "client_id", "company_id"]),
)


def _replace(table, name, columns):
    # A foreign key may lean on the old index: the new one is built under a temporary name first.
    with op.batch_alter_table(table) as batch:
        batch.create_index(f"{name}_new", columns)
        batch.drop_index(name)
    with op.batch_alter_table(table) as batch:
        batch.create_index(name, columns)
        batch.drop_index(f"{name}_new")


def upgrade():
    for table, name, _old, new in CHANGES:
        _replace(table, name, new)


def downgrade():
    for table, name, old, _new in reversed(CHANGES):
        _replace(table, name, old)
