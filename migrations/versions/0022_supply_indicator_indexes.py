"""supply indicator indexes: a period's requests and their items read from indexes alone

Revision ID: 0022
Revises: 0021
"""
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("supply_request") as batch:
        batch.drop_index("ix_supply_request_requested_company")
        batch.create_index("ix_supply_request_requested_company",
                           ["requested_at", "id", "company_id", "status", "equipment_id"])
    # The new index leads with request_id before the old one goes: the foreign key always has one.
    with op.batch_alter_table("supply_request_item") as batch:
        batch.create_index("ix_supply_request_item_request_item", ["request_id", "supply_item_id", "quantity"])
        batch.drop_index("ix_supply_request_item_request_id")


def downgrade():
    with op.batch_alter_table("supply_request_item") as batch:
        batch.create_index("ix_supply_request_item_request_id", ["request_id"])
        batch.drop_index("ix_supply_request_item_request_item")
    with op.batch_alter_table("supply_request") as batch:
        batch.drop_index("ix_supply_request_requested_company")
        batch.create_index("ix_supply_request_requested_company", ["requested_at", "id", "company_id"])
