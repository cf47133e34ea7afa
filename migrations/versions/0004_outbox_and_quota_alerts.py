"""The outbox of background jobs and the quota alerts (once per threshold per step).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 08:44:37.562598
"""
from alembic import op
import sqlalchemy as sa
import portal.db


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outbox_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('function', sa.String(length=200), nullable=False),
    sa.Column('kwargs', sa.JSON(), nullable=False),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('pushed_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('done_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_jobs'))
    )
    with op.batch_alter_table('outbox_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_jobs_done_at'), ['done_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_jobs_pushed_at'), ['pushed_at'], unique=False)

    op.create_table('quota_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.Integer(), nullable=True),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('taken', sa.Integer(), nullable=False),
    sa.Column('purchased', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_quota_alerts_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_quota_alerts_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['step_id'], ['steps.id'], name=op.f('fk_quota_alerts_step_id_steps'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quota_alerts')),
    sa.UniqueConstraint('campaign_id', 'step_id', 'threshold', name=op.f('uq_quota_alerts_campaign_id'))
    )
    with op.batch_alter_table('quota_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quota_alerts_client_id'), ['client_id'], unique=False)

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alert_thresholds', sa.JSON(), nullable=False, server_default='[80, 90, 100]'))



def downgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('alert_thresholds')

    with op.batch_alter_table('quota_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quota_alerts_client_id'))

    op.drop_table('quota_alerts')
    with op.batch_alter_table('outbox_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_jobs_pushed_at'))
        batch_op.drop_index(batch_op.f('ix_outbox_jobs_done_at'))

    op.drop_table('outbox_jobs')
