"""equipment filters and supplies by date: cidade, local de instalação and departamento (the
manual's search fields) each read from an index led by the filtered column, then the company and
the list's série order; supply requests by (date, id) with the company in the index, for an
operator of several companies (replaces the date-only index)

Revision ID: 0018
Revises: 0017
"""
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# (table, index, columns)
CREATED = (
    ("equipment", "ix_equipment_city_company_serial", ["city", "company_id", "serial"]),
    ("equipment", "ix_equipment_location_company_serial", ["location", "company_id", "serial"]),
    ("equipment", "ix_equipment_department_company_serial", ["department", "company_id", "serial"]),
    ("supply_request", "ix_supply_request_requested_company", ["requested_at", "id", "company_id"]),
)
REPLACED = (
    ("supply_request", "ix_supply_request_requested", ["requested_at"]),
)


def upgrade():
    for table, name, columns in CREATED:
        op.create_index(name, table, columns)
    for table, name, _columns in REPLACED:
        op.drop_index(name, table_name=table)


def downgrade():
    for table, name, columns in REPLACED:
        op.create_index(name, table, columns)
    for table, name, _columns in reversed(CREATED):
        op.drop_index(name, table_name=table)
