"""The whole schema: people, clients, campaigns, steps, zones, agents, appointments.

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 07:39:31.031638
"""
from alembic import op
import sqlalchemy as sa
import portal.db


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('clients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('timezone', sa.String(length=60), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('account_manager_id', sa.Integer(), nullable=True),
    sa.Column('last_appointment_number', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clients')),
    sa.UniqueConstraint('slug', name=op.f('uq_clients_slug'))
    )
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clients_account_manager_id'), ['account_manager_id'], unique=False)

    op.create_table('agents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_agents_client_id_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agents')),
    sa.UniqueConstraint('client_id', 'slug', name=op.f('uq_agents_client_id'))
    )
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agents_client_id'), ['client_id'], unique=False)

    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('appointment_minutes', sa.Integer(), nullable=False),
    sa.Column('buffer_minutes', sa.Integer(), nullable=False),
    sa.Column('cutoff_hours', sa.Integer(), nullable=False),
    sa.Column('hold_minutes', sa.Integer(), nullable=False),
    sa.Column('purchased', sa.Integer(), nullable=False),
    sa.Column('taken', sa.Integer(), nullable=False),
    sa.Column('to_confirm', sa.Integer(), nullable=False),
    sa.Column('cancelled', sa.Integer(), nullable=False),
    sa.Column('recovered', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_campaigns_client_id_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns')),
    sa.UniqueConstraint('client_id', 'slug', name=op.f('uq_campaigns_client_id'))
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaigns_client_id'), ['client_id'], unique=False)

    op.create_table('zones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('provinces', sa.JSON(), nullable=False),
    sa.Column('postal_codes', sa.JSON(), nullable=False),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_zones_client_id_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zones')),
    sa.UniqueConstraint('client_id', 'slug', name=op.f('uq_zones_client_id'))
    )
    with op.batch_alter_table('zones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_zones_client_id'), ['client_id'], unique=False)

    op.create_table('agent_zones',
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_agent_zones_agent_id_agents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_agent_zones_zone_id_zones'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('agent_id', 'zone_id', name=op.f('pk_agent_zones'))
    )
    with op.batch_alter_table('agent_zones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agent_zones_zone_id'), ['zone_id'], unique=False)

    op.create_table('schedule_intervals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('end_time', sa.Time(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_schedule_intervals_agent_id_agents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedule_intervals'))
    )
    with op.batch_alter_table('schedule_intervals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_schedule_intervals_agent_id'), ['agent_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('credentials_version', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_users_agent_id_agents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_users_client_id_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_client_id'), ['client_id'], unique=False)

    # clients and users point at each other: the account manager's key comes once users exist.
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.create_foreign_key(op.f('fk_clients_account_manager_id_users'), 'users', ['account_manager_id'], ['id'], ondelete='SET NULL')

    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('digest', name=op.f('uq_api_tokens_digest'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('appointments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=True),
    sa.Column('start_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('busy_until', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('prospect_name', sa.String(length=200), nullable=False),
    sa.Column('prospect_phone', sa.String(length=40), nullable=False),
    sa.Column('prospect_postal_code', sa.String(length=10), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('booked_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_appointments_agent_id_agents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['booked_by_id'], ['users.id'], name=op.f('fk_appointments_booked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_appointments_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_appointments_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_appointments_zone_id_zones'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointments')),
    sa.UniqueConstraint('client_id', 'number', name=op.f('uq_appointments_client_id'))
    )
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.create_index('ix_appointments_agent_start', ['agent_id', 'start_at'], unique=False)
        batch_op.create_index('ix_appointments_agent_state', ['agent_id', 'state'], unique=False)
        batch_op.create_index('ix_appointments_campaign_state', ['campaign_id', 'state'], unique=False)
        batch_op.create_index('ix_appointments_client_start', ['client_id', 'start_at'], unique=False)
        batch_op.create_index('ix_appointments_zone_start', ['zone_id', 'start_at'], unique=False)
        batch_op.create_index('ix_appointments_zone_state', ['zone_id', 'state'], unique=False)

    op.create_table('steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_steps_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_steps_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_steps')),
    sa.UniqueConstraint('campaign_id', 'number', name=op.f('uq_steps_campaign_id'))
    )
    with op.batch_alter_table('steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_steps_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('user_zones',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_zones_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_user_zones_zone_id_zones'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'zone_id', name=op.f('pk_user_zones'))
    )
    with op.batch_alter_table('user_zones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_zones_zone_id'), ['zone_id'], unique=False)



def downgrade():
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_clients_account_manager_id_users'), type_='foreignkey')
    with op.batch_alter_table('user_zones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_zones_zone_id'))

    op.drop_table('user_zones')
    with op.batch_alter_table('steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_steps_campaign_id'))

    op.drop_table('steps')
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_index('ix_appointments_zone_state')
        batch_op.drop_index('ix_appointments_zone_start')
        batch_op.drop_index('ix_appointments_client_start')
        batch_op.drop_index('ix_appointments_campaign_state')
        batch_op.drop_index('ix_appointments_agent_state')
        batch_op.drop_index('ix_appointments_agent_start')

    op.drop_table('appointments')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_client_id'))
        batch_op.drop_index(batch_op.f('ix_users_agent_id'))

    op.drop_table('users')
    with op.batch_alter_table('schedule_intervals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_schedule_intervals_agent_id'))

    op.drop_table('schedule_intervals')
    with op.batch_alter_table('agent_zones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agent_zones_zone_id'))

    op.drop_table('agent_zones')
    with op.batch_alter_table('zones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_zones_client_id'))

    op.drop_table('zones')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaigns_client_id'))

    op.drop_table('campaigns')
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agents_client_id'))

    op.drop_table('agents')
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clients_account_manager_id'))

    op.drop_table('clients')
