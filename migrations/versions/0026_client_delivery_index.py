"""client delivery index: a client's invoices with the situation, carrier and company in the
index, for the Entregas list under a client name filter (the clients' ids found first)

Revision ID: 0026
Revises: 0025
"""
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

NAME = "ix_invoice_client_issued"
OLD = ["client_id", "issued_at"]
NEW = ["client_id", "issued_at", "id", "confirmed", "status", "carrier_id", "company_id"]


def _replace(columns):
    # The client foreign key leans on this index: the new one is built under a temporary name first.
    with op.batch_alter_table("invoice") as batch:
        batch.create_index(f"{NAME}_new", columns)
        batch.drop_index(NAME)
    with op.batch_alter_table("invoice") as batch:
        batch.create_index(NAME, columns)
        batch.drop_index(f"{NAME}_new")


def upgrade():
    _replace(NEW)


def downgrade():
    _replace(OLD)
