"""A campaign's last step number, so that a deleted draft's number is never given again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 14:10:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_step_number', sa.Integer(), nullable=False, server_default='0'))
    op.execute("UPDATE campaigns SET last_step_number = "
               "(SELECT coalesce(max(number), 0) FROM steps WHERE steps.campaign_id = campaigns.id)")


def downgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('last_step_number')
