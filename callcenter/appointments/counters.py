"""The zone and agent folders' counters (``FolderCounter``): kept by every service that creates an
appointment or changes its state, agent or zone, as ``campaigns.services`` keeps the campaign's.

Each change is one atomic statement, ``INSERT ... ON CONFLICT DO UPDATE SET taken = taken + ...``
(PostgreSQL and SQLite alike): no read-modify-write, so concurrent changes add up. Its row locks
are taken last in the transaction, after the campaign, the agent's calendar and the client
(the booking's order), and in the order of (agent, zone) when one change moves two rows: no cycle,
no deadlock.
"""
from functools import cache

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from agents.models import Agent
from callcenter.appointments.models import ACTIVE_STATES, Appointment, FolderCounter
from callcenter.appointments.states import counter_deltas

COUNTER_NAMES = ("taken", "to_confirm", "cancelled")
NO_ZONE = 0  # the zone key of the appointments without a zone


def count_new(dbsession, agent_id, zone_id, state):
    """A new appointment (booked, imported) in the folders of its agent and zone."""
    _add(dbsession, {(agent_id, zone_key(zone_id)): counter_deltas(None, state)})


def count_state_change(dbsession, appointment, new_state):
    """An appointment going from its state to ``new_state`` (confirm, cancel); call it before setting it."""
    _add(dbsession, {(appointment.agent_id, zone_key(appointment.zone_id)): counter_deltas(appointment.state,
                                                                                          new_state)})


def count_move(dbsession, appointment, *, agent_id=None, zone_id=None):
    """An appointment leaving its agent (or zone) for another; call it before changing it."""
    old = (appointment.agent_id, zone_key(appointment.zone_id))
    new = (agent_id if agent_id is not None else appointment.agent_id,
           zone_key(zone_id) if zone_id is not None else old[1])
    if new != old:
        _add(dbsession, {old: counter_deltas(appointment.state, None), new: counter_deltas(None, appointment.state)})


def zone_key(zone_id):
    return NO_ZONE if zone_id is None else zone_id


def _add(dbsession, deltas_by_key):
    """The deltas added by the upsert, one row after the other in key order (the lock order)."""
    rows = [dict(agent_id=agent_id, zone_id=zone_id, **{name: deltas.get(name, 0) for name in COUNTER_NAMES})
            for (agent_id, zone_id), deltas in sorted(deltas_by_key.items()) if deltas]
    if rows:
        dbsession.execute(upsert_statement(dbsession.get_bind().dialect.name), rows)


@cache
def upsert_statement(dialect):
    """``INSERT ... ON CONFLICT (agent_id, zone_id) DO UPDATE`` adding the row's values, built once per dialect."""
    table = FolderCounter.__table__
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return statement.on_conflict_do_update(
        index_elements=[table.c.agent_id, table.c.zone_id],
        set_={name: table.c[name] + statement.excluded[name] for name in COUNTER_NAMES},
    )


def folder_counts(dbsession, scope):
    """taken / to_confirm / cancelled of a zone's or an agent's appointments: the sum of a few counters.

    ``scope`` is the folder's ``appointment_scope``: {"zone_id": id} or {"agent_id": id}, the latter with
    "zone_id": [ids] for a zone manager who sees only the zones he/she manages."""
    shape = tuple(sorted((column, isinstance(value, list)) for column, value in scope.items()))
    return dict(zip(COUNTER_NAMES, (int(value) for value in dbsession.execute(counts_statement(shape), scope).one())))


@cache
def counts_statement(shape):
    """Built once per process for each shape of scope: ((column, several values?), ...)."""
    table = FolderCounter.__table__.c
    return select(*(func.coalesce(func.sum(table[name]), 0) for name in COUNTER_NAMES)).where(
        *(table[column].in_(bindparam(column, expanding=True)) if several else table[column] == bindparam(column)
          for column, several in shape))


def recount_query(where=None):
    """INSERT ... SELECT of the counters from the appointments' rows (the demo's history, the migration)."""
    zone = func.coalesce(Appointment.zone_id, NO_ZONE)
    rows = select(
        Appointment.agent_id, zone,
        func.count().filter(Appointment.state.in_(ACTIVE_STATES)),
        func.count().filter(Appointment.state == "to_confirm"),
        func.count().filter(Appointment.state == "cancelled"),
    ).group_by(Appointment.agent_id, zone)
    if where is not None:
        rows = rows.where(where)
    return FolderCounter.__table__.insert().from_select(["agent_id", "zone_id", *COUNTER_NAMES], rows)


def recount(dbsession, client_id):
    """Set the counters of a client's folders from its appointments, when these were written without
    the services (the demo's history)."""
    dbsession.flush()
    agents = select(Agent.id).where(Agent.client_id == client_id)
    dbsession.execute(delete(FolderCounter).where(FolderCounter.agent_id.in_(agents)),
                      execution_options={"synchronize_session": False})
    dbsession.execute(recount_query(Appointment.client_id == client_id))
