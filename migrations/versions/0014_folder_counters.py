"""Folder counters (README "Performance"): taken, to_confirm and cancelled per agent and zone, kept by the
services, for the boxes of the zone and agent folders; backfilled from the appointments.

The folders' history indexes on (scope, at) gain the id, the tie-breaker of the panel's order, so
that its newest 15 changes are one index range even when an import or an unavailability wrote
hundreds at the same instant (the old indexes are prefixes of the new ones: replaced, not kept).
The client folder's first 50 agents, active first and by name, become two ranges of an index.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 18:30:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = "0013"
branch_labels = None
depends_on = None

CHANGE_SCOPES = ("client", "zone", "agent", "campaign")


def upgrade():
    op.create_table('folder_counters',
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('taken', sa.Integer(), nullable=False),
    sa.Column('to_confirm', sa.Integer(), nullable=False),
    sa.Column('cancelled', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_folder_counters_agent_id_agents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('agent_id', 'zone_id', name=op.f('pk_folder_counters'))
    )
    op.create_index('ix_folder_counters_zone_id', 'folder_counters', ['zone_id'], unique=False)
    # 0 is the zone key of the appointments without a zone.
    op.execute("""
        INSERT INTO folder_counters (agent_id, zone_id, taken, to_confirm, cancelled)
        SELECT agent_id, coalesce(zone_id, 0),
               count(*) FILTER (WHERE state IN ('to_confirm', 'confirmed')),
               count(*) FILTER (WHERE state = 'to_confirm'),
               count(*) FILTER (WHERE state = 'cancelled')
        FROM appointments GROUP BY agent_id, coalesce(zone_id, 0)
    """)
    for scope in CHANGE_SCOPES:
        op.drop_index(f"ix_changes_{scope}_at", table_name="changes")
        op.create_index(f"ix_changes_{scope}_at_id", "changes", [f"{scope}_id", "at", "id"])
    op.create_index("ix_agents_client_active_name", "agents", ["client_id", "active", "name"])


def downgrade():
    op.drop_index("ix_agents_client_active_name", table_name="agents")
    for scope in CHANGE_SCOPES:
        op.drop_index(f"ix_changes_{scope}_at_id", table_name="changes")
        op.create_index(f"ix_changes_{scope}_at", "changes", [f"{scope}_id", "at"])
    op.drop_index('ix_folder_counters_zone_id', table_name='folder_counters')
    op.drop_table('folder_counters')
