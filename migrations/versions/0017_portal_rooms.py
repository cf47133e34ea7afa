"""portal/ in rooms (docs/architecture.md): the jobs waiting in the outbox name their function by its dotted
path, and three of those paths moved (``portal.mailing`` is ``portal.mail.delivery``, ``portal.passwords`` is
``portal.accounts.passwords``, ``portal.signin`` is ``portal.accounts.signin``). Rows written before the
move are renamed, so that a mail or a reset link asked for just before an upgrade is still delivered.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08 02:10:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

MOVED = {
    "portal.mailing:": "portal.mail.delivery:",
    "portal.passwords:": "portal.accounts.passwords:",
    "portal.signin:": "portal.accounts.signin:",
}
RENAME = sa.text("UPDATE outbox_jobs SET function = :new || substr(function, :cut) "
                 "WHERE substr(function, 1, :length) = :old")


def rename(moves):
    for old, new in moves.items():
        op.execute(RENAME.bindparams(old=old, new=new, length=len(old), cut=len(old) + 1))


def upgrade():
    rename(MOVED)


def downgrade():
    rename({new: old for old, new in MOVED.items()})
