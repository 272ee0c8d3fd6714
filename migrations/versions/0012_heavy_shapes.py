"""heavy data shapes: indexes for E-mails enviados (FULLTEXT on MariaDB) and Arquivos de
faturamento at hundreds of thousands of rows

Revision ID: 0012
Revises: 0010
"""
from alembic import op

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None

OUTBOX = (
    ("ix_outbox_created", ["created_at"], {}),
    ("ix_outbox_status_created", ["status", "created_at"], {}),
    ("ix_outbox_kind_created", ["kind", "created_at"], {}),
    ("ix_outbox_status_sent", ["status", "sent_at"], {}),
    ("ix_outbox_sent", ["sent_at"], {}),
    ("ix_outbox_attempts", ["attempts"], {}),
    ("ix_outbox_subject_words", ["subject"], {"mysql_prefix": "FULLTEXT"}),
    ("ix_outbox_recipients_words", ["recipients"], {"mysql_prefix": "FULLTEXT"}),
)
BILLING = (
    ("ix_billing_file_uploaded", ["uploaded_at"]),
    ("ix_billing_file_company_uploaded", ["company_id", "uploaded_at"]),
    ("ix_billing_file_client_uploaded", ["client_id", "company_id", "uploaded_at"]),
    ("ix_billing_file_period", ["year", "month", "uploaded_at"]),
    ("ix_billing_file_name", ["original_name"]),
)


def upgrade():
    with op.batch_alter_table("outbox_message") as batch:
        for name, columns, options in OUTBOX:
            batch.create_index(name, columns, **options)
        batch.drop_index("ix_outbox_message_kind")  # ix_outbox_kind_created begins with kind
    with op.batch_alter_table("billing_file") as batch:
        for name, columns in BILLING:
            batch.create_index(name, columns)


def downgrade():
    with op.batch_alter_table("billing_file") as batch:
        for name, _columns in reversed(BILLING):
            batch.drop_index(name)
    with op.batch_alter_table("outbox_message") as batch:
        batch.create_index("ix_outbox_message_kind", ["kind"])
        for name, _columns, _options in reversed(OUTBOX):
            batch.drop_index(name)
