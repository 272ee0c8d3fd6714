"""technician status index: the Técnico's calls of a status answered from the index alone

Revision ID: 0025
Revises: 0024
"""
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

NAME = "ix_service_call_technician_status_due"


def upgrade():
    with op.batch_alter_table("service_call") as batch:
        batch.drop_index(NAME)
        batch.create_index(NAME, ["technician_id", "status", "priority_due", "id", "company_id", "opened_at"])


def downgrade():
    with op.batch_alter_table("service_call") as batch:
        batch.drop_index(NAME)
        batch.create_index(NAME, ["technician_id", "status", "priority_due"])
