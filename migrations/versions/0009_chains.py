"""issue 16's chains: the ERP's parts list, parts requests, Parâmetros de chamados per company,
the address of a call by contract without an equipment, meter readings from attendances and
clients, billing corrections (a removed file keeps its row and download log)

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql


def exact_string(length: int):
    """As app.core.db.exact_string: byte-exact on MariaDB (an ERP id, a device's uid)."""
    return sa.String(length).with_variant(mysql.VARCHAR(length, collation="utf8mb4_bin"), "mysql", "mariadb")


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("service_call") as batch:
        batch.add_column(sa.Column("service_address", sa.String(length=200), nullable=True))
    with op.batch_alter_table("meter_reading") as batch:
        batch.add_column(sa.Column("attendance_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("read_by_id", sa.Integer(), nullable=True))
        batch.create_index("ix_meter_reading_attendance_id", ["attendance_id"], unique=False)
        batch.create_foreign_key("fk_meter_reading_attendance_id", "attendance", ["attendance_id"], ["id"],
                                 ondelete="CASCADE")
        batch.create_foreign_key("fk_meter_reading_read_by_id", "ab_user", ["read_by_id"], ["id"])
    with op.batch_alter_table("billing_file") as batch:
        batch.add_column(sa.Column("removed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("removed_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("removal_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("replaced_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_billing_file_removed_by_id", "ab_user", ["removed_by_id"], ["id"])
        batch.create_foreign_key("fk_billing_file_replaced_by_id", "billing_file", ["replaced_by_id"], ["id"])
    op.create_table('part',
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('erp_id', exact_string(40), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('erp_id')
    )
    with op.batch_alter_table('part', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_part_active'), ['active'], unique=False)
        batch_op.create_index(batch_op.f('ix_part_created_at'), ['created_at'], unique=False)

    op.create_table('call_settings',
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('opening_status', sa.String(length=1), nullable=False),
    sa.Column('parts_request_status', sa.String(length=1), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('company_id')
    )
    op.create_table('part_model',
    sa.Column('part_id', sa.Integer(), nullable=False),
    sa.Column('equipment_model_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['equipment_model_id'], ['equipment_model.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['part_id'], ['part.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('part_id', 'equipment_model_id')
    )
    op.create_table('parts_request',
    sa.Column('client_uid', exact_string(64), nullable=True),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('attendance_id', sa.Integer(), nullable=True),
    sa.Column('technician_id', sa.Integer(), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('state_changed_at', sa.DateTime(), nullable=False),
    sa.Column('state_changed_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['attendance_id'], ['attendance.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['call_id'], ['service_call.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['state_changed_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['technician_id'], ['technician.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('client_uid')
    )
    with op.batch_alter_table('parts_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_parts_request_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_parts_request_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_parts_request_state_requested', ['state', 'requested_at'], unique=False)

    op.create_table('parts_request_item',
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('part_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['part_id'], ['part.id'], ),
    sa.ForeignKeyConstraint(['request_id'], ['parts_request.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('parts_request_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_parts_request_item_request_id'), ['request_id'], unique=False)



def downgrade():
    with op.batch_alter_table('parts_request_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_parts_request_item_request_id'))

    op.drop_table('parts_request_item')
    with op.batch_alter_table('parts_request', schema=None) as batch_op:
        batch_op.drop_index('ix_parts_request_state_requested')
        batch_op.drop_index(batch_op.f('ix_parts_request_created_at'))
        batch_op.drop_index(batch_op.f('ix_parts_request_call_id'))

    op.drop_table('parts_request')
    op.drop_table('part_model')
    op.drop_table('call_settings')
    with op.batch_alter_table('part', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_part_created_at'))
        batch_op.drop_index(batch_op.f('ix_part_active'))

    op.drop_table('part')
    with op.batch_alter_table("service_call") as batch:
        batch.drop_column("service_address")
    with op.batch_alter_table("billing_file") as batch:
        batch.drop_constraint("fk_billing_file_replaced_by_id", type_="foreignkey")
        batch.drop_constraint("fk_billing_file_removed_by_id", type_="foreignkey")
        batch.drop_column("replaced_by_id")
        batch.drop_column("removal_reason")
        batch.drop_column("removed_by_id")
        batch.drop_column("removed_at")
    with op.batch_alter_table("meter_reading") as batch:
        batch.drop_constraint("fk_meter_reading_read_by_id", type_="foreignkey")
        batch.drop_constraint("fk_meter_reading_attendance_id", type_="foreignkey")
        batch.drop_index("ix_meter_reading_attendance_id")
        batch.drop_column("read_by_id")
        batch.drop_column("attendance_id")
