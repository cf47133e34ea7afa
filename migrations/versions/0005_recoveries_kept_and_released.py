"""Rule 11: places freed by approved cancellations are kept for their recoveries, which are
released a few a day at the end of the step.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 09:30:06.606361
"""
from alembic import op
import sqlalchemy as sa
import portal.db


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recoveries_pending', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('recoveries_per_day', sa.Integer(), nullable=False, server_default='2'))



def downgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('recoveries_per_day')
        batch_op.drop_column('recoveries_pending')

