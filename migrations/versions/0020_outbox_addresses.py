"""outbox addresses: one address a row in a VARCHAR with a B-tree index (recipients, created_at),
for "Contém" through the distinct addresses instead of FULLTEXT words

Revision ID: 0020
Revises: 0019
"""
import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

ADDRESS_LENGTH = 320


def _split_long_rows():
    """Rows written before one message a recipient may list several addresses; those too long
    for the column become one row an address (the same message), so nothing is cut."""
    bind = op.get_bind()
    outbox = sa.Table("outbox_message", sa.MetaData(), autoload_with=bind)
    long_rows = bind.execute(sa.select(outbox).where(sa.func.length(outbox.c.recipients) > ADDRESS_LENGTH)).all()
    for row in long_rows:
        first, *others = [a.strip() for a in row.recipients.split(",") if a.strip()] or [""]
        bind.execute(outbox.update().where(outbox.c.id == row.id).values(recipients=first[:ADDRESS_LENGTH]))
        copy = {key: value for key, value in row._mapping.items() if key != "id"}
        for address in others:
            bind.execute(outbox.insert().values(**{**copy, "recipients": address[:ADDRESS_LENGTH]}))


def upgrade():
    _split_long_rows()
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_index("ix_outbox_recipients_words")
        batch.alter_column("recipients", existing_type=sa.Text(), type_=sa.String(ADDRESS_LENGTH),
                           existing_nullable=False)
        batch.create_index("ix_outbox_recipients_created", ["recipients", "created_at"])


def downgrade():
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_index("ix_outbox_recipients_created")
        batch.alter_column("recipients", existing_type=sa.String(ADDRESS_LENGTH), type_=sa.Text(),
                           existing_nullable=False)
        batch.create_index("ix_outbox_recipients_words", ["recipients"], mysql_prefix="FULLTEXT")
