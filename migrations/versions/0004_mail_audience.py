"""e-mails to their audience: new "Recebe e-mail de" choices, one outbox row per recipient,
pré atendimento replies by a contact without a login

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Choices for kinds that used to go out without one: on for everyone, as they were sent before.
NEW_PREFERENCES = ("email_call_assignment", "email_pre_service", "email_billing_files")


def upgrade():
    with op.batch_alter_table("ab_user") as batch:
        for name in NEW_PREFERENCES:
            batch.add_column(sa.Column(name, sa.Boolean(), server_default=sa.true(), nullable=False))
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch.create_index("ix_outbox_message_user_id", ["user_id"])
    with op.batch_alter_table("pre_service_message") as batch:
        batch.add_column(sa.Column("author_email", sa.String(length=254), nullable=True))
        batch.add_column(sa.Column("link_email", sa.String(length=254), nullable=True))


def downgrade():
    with op.batch_alter_table("pre_service_message") as batch:
        batch.drop_column("link_email")
        batch.drop_column("author_email")
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_index("ix_outbox_message_user_id")
        batch.drop_column("user_id")
    with op.batch_alter_table("ab_user") as batch:
        for name in NEW_PREFERENCES:
            batch.drop_column(name)
