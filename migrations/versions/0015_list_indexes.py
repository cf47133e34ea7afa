"""Keyset pages of the appointment lists (README "Performance"): each folder's index on (scope, start_at) gains the id,
the tie-breaker of the lists' order, so that a page after a cursor (start_at, id) is one index range,
as cheap at page 1,000 as at page 1. The old indexes are prefixes of the new ones: replaced, not kept.

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-04 18:30:00.000000
"""
from alembic import op

revision = '0015'
down_revision = "0014"
branch_labels = None
depends_on = None

SCOPES = ("client", "agent", "zone", "campaign")


def upgrade():
    for scope in SCOPES:
        op.drop_index(f"ix_appointments_{scope}_start", table_name="appointments")
        op.create_index(f"ix_appointments_{scope}_start_id", "appointments", [f"{scope}_id", "start_at", "id"])


def downgrade():
    for scope in SCOPES:
        op.drop_index(f"ix_appointments_{scope}_start_id", table_name="appointments")
        op.create_index(f"ix_appointments_{scope}_start", "appointments", [f"{scope}_id", "start_at"])
