"""equipment filters: cidade, local de instalação and departamento (the manual's search fields)
each read from an index led by the filtered column, then the company and the list's série order

Revision ID: 0018
Revises: 0016
"""
from alembic import op

revision = "0018"
down_revision = "0016"
branch_labels = None
depends_on = None

CREATED = (
    ("ix_equipment_city_company_serial", ["city", "company_id", "serial"]),
    ("ix_equipment_location_company_serial", ["location", "company_id", "serial"]),
    ("ix_equipment_department_company_serial", ["department", "company_id", "serial"]),
)


def upgrade():
    for name, columns in CREATED:
        op.create_index(name, "equipment", columns)


def downgrade():
    for name, _columns in reversed(CREATED):
        op.drop_index(name, table_name="equipment")
