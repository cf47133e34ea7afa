"""Rule 8 in SQL: the live appointments whose busy time [start_at, busy_until) overlaps a span.

On PostgreSQL the test is written as the exclusion constraint ``ex_appointments_agent_busy`` is
(migration 0002): ranges that overlap, among the live states spelled as literals, so that the planner
answers it from the constraint's GiST index, in a few pages whatever the agent's history. Written as two
comparisons it could only range over the agent's appointments that start before the span ends: all of
them, past ones included, for a new booking (2,200 rows and 2.7 ms for a busy agent at 1,000,000
appointments, 0.05 ms by the index). Elsewhere (SQLite) it is those two comparisons.
"""
from sqlalchemy import Boolean, and_, literal, type_coerce
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from callcenter.appointments.models import ACTIVE_STATES, Appointment
from portal.db import UTCDateTime


class spans_overlap(FunctionElement):
    """[start_at, busy_until) and [start, end) share an instant."""

    type = Boolean()
    inherit_cache = True
    name = "spans_overlap"


@compiles(spans_overlap)
def _compared(element, compiler, **kw):
    start_at, busy_until, start, end = element.clauses
    return "(%s)" % compiler.process(and_(start_at < end, busy_until > start), **kw)


@compiles(spans_overlap, "postgresql")
def _as_ranges(element, compiler, **kw):
    start_at, busy_until, start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"tstzrange({start_at}, {busy_until}) && tstzrange({start}, {end})"


# Literals, not parameters: a generic plan can use the constraint's partial index only when the
# statement itself names its states.
LIVE = Appointment.state.in_([literal(state, literal_execute=True) for state in ACTIVE_STATES])


def busy_over(start, end):
    """The clauses that keep the live appointments busy at some instant of [start, end): ``start`` and
    ``end`` are times or parameters, bound as the columns are (UTC; naive on SQLite)."""
    start, end = (type_coerce(value, UTCDateTime()) for value in (start, end))
    return and_(LIVE, spans_overlap(Appointment.start_at, Appointment.busy_until, start, end))
