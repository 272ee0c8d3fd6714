"""list controls at a million calls: an index for each sort a list offers within each scope
column, the calls of the few equipment / contracts a prefix finds, the calls by deadline

Revision ID: 0016
Revises: 0015
"""
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# (table, index, columns); each replaced single-column index is led by the same column.
CREATED = (
    ("service_call", "ix_service_call_client_company_opened", ["client_id", "company_id", "opened_at"]),
    ("service_call", "ix_service_call_equipment_company_opened", ["equipment_id", "company_id", "opened_at"]),
    ("service_call", "ix_service_call_contract_company_opened", ["contract_id", "company_id", "opened_at"]),
    ("service_call", "ix_service_call_status_due", ["status", "priority_due"]),
    ("service_call", "ix_service_call_company_status_due", ["company_id", "status", "priority_due"]),
    ("service_call", "ix_service_call_client_status_due", ["client_id", "status", "priority_due"]),
    ("service_call", "ix_service_call_technician_status_due", ["technician_id", "status", "priority_due"]),
    ("client", "ix_client_company_name", ["company_id", "name"]),
    ("client", "ix_client_company_trade_name", ["company_id", "trade_name"]),
    ("equipment", "ix_equipment_company_serial", ["company_id", "serial"]),
    ("invoice", "ix_invoice_issued", ["issued_at"]),
    ("invoice", "ix_invoice_company_issued", ["company_id", "issued_at"]),
    ("invoice", "ix_invoice_client_issued", ["client_id", "issued_at"]),
    ("attendance", "ix_attendance_technician_started", ["technician_id", "started_at"]),
    ("billing_file", "ix_billing_file_company_name", ["company_id", "original_name"]),
    ("billing_file", "ix_billing_file_client_name", ["client_id", "original_name"]),
)
REPLACED = (
    ("service_call", "ix_service_call_client_opened", ["client_id", "opened_at"]),
    ("service_call", "ix_service_call_equipment_id", ["equipment_id"]),
    ("service_call", "ix_service_call_contract_id", ["contract_id"]),
    ("client", "ix_client_company_id", ["company_id"]),
    ("equipment", "ix_equipment_company_id", ["company_id"]),
    ("invoice", "ix_invoice_company_id", ["company_id"]),
    ("invoice", "ix_invoice_client_id", ["client_id"]),
    ("attendance", "ix_attendance_technician_id", ["technician_id"]),
    ("billing_file", "ix_billing_file_company_id", ["company_id"]),
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
