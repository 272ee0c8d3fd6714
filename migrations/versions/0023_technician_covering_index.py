"""technician covering index: the Técnico's calls filtered by status, equipment, contract or
client read from the index alone

Revision ID: 0023
Revises: 0022
"""
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

NAME = "ix_service_call_technician_company_opened"


def upgrade():
    with op.batch_alter_table("service_call") as batch:
        batch.drop_index(NAME)
        batch.create_index(NAME, ["technician_id", "company_id", "opened_at", "status", "equipment_id",
                                  "contract_id", "client_id"])


def downgrade():
    with op.batch_alter_table("service_call") as batch:
        batch.drop_index(NAME)
        batch.create_index(NAME, ["technician_id", "company_id", "opened_at"])
