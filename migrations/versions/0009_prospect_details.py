"""The prospect's company, address and province (spec §2), optional.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 14:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prospect_company', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('prospect_address', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('prospect_province', sa.String(length=2), nullable=True))


def downgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_column('prospect_province')
        batch_op.drop_column('prospect_address')
        batch_op.drop_column('prospect_company')
