"""Booking engine: dated openings and closures, closed days, unavailabilities, holds,
campaign fields, and on PostgreSQL no overlapping active appointments of one agent.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 08:11:35.048855
"""
from alembic import op
import sqlalchemy as sa
import portal.db


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('campaign_fields',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('help_text', sa.String(length=500), nullable=False),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_fields_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_fields')),
    sa.UniqueConstraint('campaign_id', 'name', name=op.f('uq_campaign_fields_campaign_id'))
    )
    with op.batch_alter_table('campaign_fields', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_fields_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('closed_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_closed_days_agent_id_agents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_closed_days_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_closed_days_zone_id_zones'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_closed_days'))
    )
    with op.batch_alter_table('closed_days', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_closed_days_client_id'), ['client_id'], unique=False)

    op.create_table('schedule_exceptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=True),
    sa.Column('end_time', sa.Time(), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_schedule_exceptions_agent_id_agents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedule_exceptions'))
    )
    with op.batch_alter_table('schedule_exceptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_schedule_exceptions_agent_id'), ['agent_id'], unique=False)

    op.create_table('holds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('start_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('busy_until', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_holds_agent_id_agents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_holds_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['operator_id'], ['users.id'], name=op.f('fk_holds_operator_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holds'))
    )
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.create_index('ix_holds_agent_expires', ['agent_id', 'expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_holds_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_holds_operator_id'), ['operator_id'], unique=False)

    op.create_table('unavailabilities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('start_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('declared_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_unavailabilities_agent_id_agents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_unavailabilities_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['declared_by_id'], ['users.id'], name=op.f('fk_unavailabilities_declared_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_unavailabilities_zone_id_zones'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unavailabilities'))
    )
    with op.batch_alter_table('unavailabilities', schema=None) as batch_op:
        batch_op.create_index('ix_unavailabilities_client_end', ['client_id', 'end_at'], unique=False)

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('out_of_schedule', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('may_book_out_of_schedule', sa.Boolean(), nullable=False, server_default=sa.false()))



    if op.get_bind().dialect.name == "postgresql":
        # Rule 8 held by the database itself: two active appointments of one agent never
        # overlap (meeting plus travel buffer). SQLite serialises writers instead.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE appointments ADD CONSTRAINT ex_appointments_agent_busy "
            "EXCLUDE USING gist (agent_id WITH =, tstzrange(start_at, busy_until) WITH &&) "
            "WHERE (state IN ('to_confirm', 'confirmed'))"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE appointments DROP CONSTRAINT ex_appointments_agent_busy")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('may_book_out_of_schedule')

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_column('out_of_schedule')

    with op.batch_alter_table('unavailabilities', schema=None) as batch_op:
        batch_op.drop_index('ix_unavailabilities_client_end')

    op.drop_table('unavailabilities')
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_holds_operator_id'))
        batch_op.drop_index(batch_op.f('ix_holds_campaign_id'))
        batch_op.drop_index('ix_holds_agent_expires')

    op.drop_table('holds')
    with op.batch_alter_table('schedule_exceptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_schedule_exceptions_agent_id'))

    op.drop_table('schedule_exceptions')
    with op.batch_alter_table('closed_days', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_closed_days_client_id'))

    op.drop_table('closed_days')
    with op.batch_alter_table('campaign_fields', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_fields_campaign_id'))

    op.drop_table('campaign_fields')
