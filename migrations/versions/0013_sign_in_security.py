"""Sign-in security (README "Signing in safely"): failed sign-ins counted for the lockout, the sign-in audit, password
resets, two-factor sign-in (TOTP and recovery codes), admins' settings, the sessions' idle timeout.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 15:30:00.000000
"""
from alembic import op
import sqlalchemy as sa
import portal.db


revision = '0013'
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled_at', portal.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen_at', portal.db.UTCDateTime(timezone=True), nullable=True))
    op.create_table('sign_in_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=10), nullable=False),
    sa.Column('key', sa.String(length=254), nullable=False),
    sa.Column('at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_failures'))
    )
    op.create_index('ix_sign_in_failures_scope_key_at', 'sign_in_failures', ['scope', 'key', 'at'], unique=False)
    op.create_index(op.f('ix_sign_in_failures_at'), 'sign_in_failures', ['at'], unique=False)
    op.create_table('sign_in_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('event', sa.String(length=30), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=False),
    sa.Column('user_agent', sa.String(length=300), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_sign_in_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sign_in_events_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_events'))
    )
    op.create_index(op.f('ix_sign_in_events_at'), 'sign_in_events', ['at'], unique=False)
    op.create_index('ix_sign_in_events_user_id_at', 'sign_in_events', ['user_id', 'at'], unique=False)
    op.create_table('password_resets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=True),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_password_resets_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_resets')),
    sa.UniqueConstraint('digest', name=op.f('uq_password_resets_digest'))
    )
    op.create_index(op.f('ix_password_resets_user_id'), 'password_resets', ['user_id'], unique=False)
    op.create_table('recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('used_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recovery_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes'))
    )
    op.create_index(op.f('ix_recovery_codes_user_id'), 'recovery_codes', ['user_id'], unique=False)
    op.create_table('portal_settings',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_portal_settings'))
    )


def downgrade():
    op.drop_table('portal_settings')
    op.drop_index(op.f('ix_recovery_codes_user_id'), table_name='recovery_codes')
    op.drop_table('recovery_codes')
    op.drop_index(op.f('ix_password_resets_user_id'), table_name='password_resets')
    op.drop_table('password_resets')
    op.drop_index('ix_sign_in_events_user_id_at', table_name='sign_in_events')
    op.drop_index(op.f('ix_sign_in_events_at'), table_name='sign_in_events')
    op.drop_table('sign_in_events')
    op.drop_index(op.f('ix_sign_in_failures_at'), table_name='sign_in_failures')
    op.drop_index('ix_sign_in_failures_scope_key_at', table_name='sign_in_failures')
    op.drop_table('sign_in_failures')
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_column('last_seen_at')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_secret')
