"""Daily work and mail templates (spec §5 rule 3, §7, §8): the confirmation worklist rows, the mails
of the daily work already sent, the templates of clients and campaigns, campaigns' reminder hours and
the language of users' mails.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 10:57:42.091091
"""
from alembic import op
import sqlalchemy as sa
import portal.db


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sent_mails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('sent_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_sent_mails_client_id_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sent_mails')),
    sa.UniqueConstraint('kind', 'key', name=op.f('uq_sent_mails_kind'))
    )
    op.create_index(op.f('ix_sent_mails_client_id'), 'sent_mails', ['client_id'], unique=False)
    op.create_table('mail_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('subject_it', sa.String(length=300), nullable=False),
    sa.Column('body_it', sa.Text(), nullable=False),
    sa.Column('subject_en', sa.String(length=300), nullable=False),
    sa.Column('body_en', sa.Text(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_mail_templates_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_mail_templates_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_mail_templates_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_templates')),
    sa.UniqueConstraint('campaign_id', 'kind', name=op.f('uq_mail_templates_campaign_id'))
    )
    op.create_index(op.f('ix_mail_templates_client_id'), 'mail_templates', ['client_id'], unique=False)
    op.create_index('uq_mail_templates_client_kind', 'mail_templates', ['client_id', 'kind'], unique=True, postgresql_where=sa.text('campaign_id IS NULL'), sqlite_where=sa.text('campaign_id IS NULL'))
    op.create_table('confirmation_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('work_date', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_confirmation_calls_appointment_id_appointments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_confirmation_calls_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_confirmation_calls_client_id_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_confirmation_calls')),
    sa.UniqueConstraint('appointment_id', 'work_date', name=op.f('uq_confirmation_calls_appointment_id'))
    )
    op.create_index('ix_confirmation_calls_client_work_date', 'confirmation_calls', ['client_id', 'work_date'], unique=False)
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_hours', sa.Integer(), nullable=True))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=2), nullable=False, server_default='it'))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('reminder_hours')
    op.drop_index('ix_confirmation_calls_client_work_date', table_name='confirmation_calls')
    op.drop_table('confirmation_calls')
    op.drop_index('uq_mail_templates_client_kind', table_name='mail_templates', postgresql_where=sa.text('campaign_id IS NULL'), sqlite_where=sa.text('campaign_id IS NULL'))
    op.drop_index(op.f('ix_mail_templates_client_id'), table_name='mail_templates')
    op.drop_table('mail_templates')
    op.drop_index(op.f('ix_sent_mails_client_id'), table_name='sent_mails')
    op.drop_table('sent_mails')
