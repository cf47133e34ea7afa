"""Appointment life: confirmation, contact, outcome, cancellation requests, recoveries and
the change history shown in every folder.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 08:19:07.356953
"""
from alembic import op
import sqlalchemy as sa
import portal.db


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cancellation_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_notes', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_cancellation_requests_appointment_id_appointments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_cancellation_requests_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_cancellation_requests_requested_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cancellation_requests'))
    )
    with op.batch_alter_table('cancellation_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cancellation_requests_appointment_id'), ['appointment_id'], unique=False)

    op.create_table('changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('zone_id', sa.Integer(), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('appointment_number', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=30), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_changes_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_changes_agent_id_agents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_changes_appointment_id_appointments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_changes_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_changes_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_changes_zone_id_zones'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_changes'))
    )
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.create_index('ix_changes_agent_at', ['agent_id', 'at'], unique=False)
        batch_op.create_index('ix_changes_appointment_at', ['appointment_id', 'at'], unique=False)
        batch_op.create_index('ix_changes_campaign_at', ['campaign_id', 'at'], unique=False)
        batch_op.create_index('ix_changes_client_at', ['client_id', 'at'], unique=False)
        batch_op.create_index('ix_changes_zone_at', ['zone_id', 'at'], unique=False)

    op.create_table('recoveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('cancelled_appointment_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('replacement_appointment_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('released_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_recoveries_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['cancelled_appointment_id'], ['appointments.id'], name=op.f('fk_recoveries_cancelled_appointment_id_appointments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['replacement_appointment_id'], ['appointments.id'], name=op.f('fk_recoveries_replacement_appointment_id_appointments'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recoveries')),
    sa.UniqueConstraint('cancelled_appointment_id', name=op.f('uq_recoveries_cancelled_appointment_id'))
    )
    with op.batch_alter_table('recoveries', schema=None) as batch_op:
        batch_op.create_index('ix_recoveries_campaign_state', ['campaign_id', 'state'], unique=False)

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmed_at', portal.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('contacted_at', portal.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('disowned_at', portal.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cancelled_at', portal.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cancel_reason', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('outcome', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('outcome_notes', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('needs_rescheduling', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index('ix_appointments_rescheduling_start', ['needs_rescheduling', 'start_at'], unique=False)
        batch_op.create_index('ix_appointments_state_start', ['state', 'start_at'], unique=False)



def downgrade():
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_index('ix_appointments_state_start')
        batch_op.drop_index('ix_appointments_rescheduling_start')
        batch_op.drop_column('needs_rescheduling')
        batch_op.drop_column('outcome_notes')
        batch_op.drop_column('outcome')
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('disowned_at')
        batch_op.drop_column('contacted_at')
        batch_op.drop_column('confirmed_at')

    with op.batch_alter_table('recoveries', schema=None) as batch_op:
        batch_op.drop_index('ix_recoveries_campaign_state')

    op.drop_table('recoveries')
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.drop_index('ix_changes_zone_at')
        batch_op.drop_index('ix_changes_client_at')
        batch_op.drop_index('ix_changes_campaign_at')
        batch_op.drop_index('ix_changes_appointment_at')
        batch_op.drop_index('ix_changes_agent_at')

    op.drop_table('changes')
    with op.batch_alter_table('cancellation_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cancellation_requests_appointment_id'))

    op.drop_table('cancellation_requests')
