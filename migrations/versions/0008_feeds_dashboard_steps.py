"""Calendar feeds of agents and zone managers, who confirmed a step, and the indexes of the
account managers' dashboard (bookings of a campaign by date, pending cancellation requests).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 10:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import portal.db


revision = '0008'
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_feeds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('zone_id', sa.Integer(), nullable=True),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_calendar_feeds_agent_id_agents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_calendar_feeds_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_feeds_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_calendar_feeds_zone_id_zones'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feeds')),
    sa.UniqueConstraint('digest', name=op.f('uq_calendar_feeds_digest'))
    )
    with op.batch_alter_table('calendar_feeds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_feeds_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('steps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_steps_confirmed_by_id_users'), 'users', ['confirmed_by_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.create_index('ix_appointments_campaign_created', ['campaign_id', 'created_at'], unique=False)

    with op.batch_alter_table('cancellation_requests', schema=None) as batch_op:
        batch_op.create_index('ix_cancellation_requests_state', ['state'], unique=False)


def downgrade():
    with op.batch_alter_table('cancellation_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_cancellation_requests_state')

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_index('ix_appointments_campaign_created')

    with op.batch_alter_table('steps', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_steps_confirmed_by_id_users'), type_='foreignkey')
        batch_op.drop_column('confirmed_by_id')

    with op.batch_alter_table('calendar_feeds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_feeds_user_id'))

    op.drop_table('calendar_feeds')
