"""Browser sessions kept on the server, so that logging out ends them (a copied cookie is then worth
nothing); they replace the users' credentials version.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 14:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import portal.db


revision = '0010'
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', portal.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', portal.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_sessions')),
    sa.UniqueConstraint('digest', name=op.f('uq_login_sessions_digest'))
    )
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_sessions_user_id'), ['user_id'], unique=False)
    # Sessions opened before this revision carry no key: their users log in again.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('credentials_version')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credentials_version', sa.Integer(), nullable=False, server_default='1'))
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_sessions_user_id'))
    op.drop_table('login_sessions')
