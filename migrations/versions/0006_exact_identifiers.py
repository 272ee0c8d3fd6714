"""identifiers byte-exact: ERP ids, device uids and token digests compared byte for byte on
MariaDB (utf8mb4_bin), as SQLite always compares them

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# (table, column, length, nullable): every column app.core.db.exact_string declares.
COLUMNS = (
    ("company", "erp_id", 40, True),
    ("client", "erp_id", 40, True),
    ("contract", "erp_id", 40, True),
    ("equipment_model", "erp_id", 40, True),
    ("supply_item", "erp_id", 40, True),
    ("equipment", "erp_id", 40, True),
    ("defect_type", "erp_id", 40, True),
    ("technician", "erp_id", 40, True),
    ("carrier", "erp_id", 40, True),
    ("invoice", "erp_id", 40, True),
    ("service_call", "erp_id", 40, True),
    ("change_feed", "erp_id", 40, True),
    ("sync_token", "token_hash", 64, False),
    ("sync_batch", "batch_id", 64, False),
    ("sync_batch", "content_hash", 64, False),
    ("password_reset_token", "token_hash", 64, False),
    ("password_reset_token", "password_fingerprint", 64, False),
    ("pre_service_message", "link_token_hash", 64, True),
    ("attendance", "client_uid", 64, False),
    ("attendance", "signature_uid", 64, True),
    ("attendance_event", "client_uid", 64, False),
    ("attendance_photo", "client_uid", 64, False),
    ("track_point", "client_uid", 64, False),
    ("share_link", "token_hash", 64, False),
    ("survey", "token_hash", 64, False),
    ("idempotency_key", "key_hash", 64, False),
)


def _collate(collation: str) -> None:
    """SQLite compares text byte for byte already: only MariaDB/MySQL columns change."""
    if op.get_bind().dialect.name not in ("mysql", "mariadb"):
        return
    for table, column, length, nullable in COLUMNS:
        op.alter_column(table, column, existing_type=sa.String(length), existing_nullable=nullable,
                        type_=mysql.VARCHAR(length, collation=collation))


def upgrade():
    _collate("utf8mb4_bin")


def downgrade():
    _collate("utf8mb4_unicode_ci")
