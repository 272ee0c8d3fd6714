"""word search: MariaDB FULLTEXT for "Contém" on the clients' names and the attendances' texts

Revision ID: 0019
Revises: 0018
"""
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

WORDS = (
    ("client", "ix_client_name_words", "name"),
    ("client", "ix_client_trade_name_words", "trade_name"),
    ("attendance", "ix_attendance_services_words", "services"),
    ("attendance", "ix_attendance_notes_words", "notes"),
)


def upgrade():
    for table, name, column in WORDS:
        op.create_index(name, table, [column], mysql_prefix="FULLTEXT")


def downgrade():
    for table, name, _column in reversed(WORDS):
        op.drop_index(name, table_name=table)
