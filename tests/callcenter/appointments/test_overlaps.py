"""Rule 8 in SQL (callcenter.appointments.overlaps): which live appointments are busy over a span, on both
databases, and on PostgreSQL the exclusion constraint's index answering it, whatever the agent's history."""
import re
from datetime import datetime, timedelta, timezone
from itertools import count

import pytest
from sqlalchemy import select, text

from callcenter.appointments.models import Appointment
from callcenter.appointments.overlaps import busy_over
from callcenter.booking.holds import BOOKED_OR_HELD
from callcenter.booking.services import BUSY_OF_AGENTS
from tests.factories import Tenant

START = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)
_numbers = count(1)


@pytest.fixture
def tenant(dbsession):
    return Tenant(dbsession)


def add(dbsession, tenant, start, busy=HOUR + timedelta(minutes=30), state="to_confirm"):
    dbsession.add(Appointment(
        client_id=tenant.client.id, number=next(_numbers), campaign_id=tenant.campaign.id, agent_id=tenant.agent.id,
        zone_id=tenant.zone.id, start_at=start, end_at=start + HOUR, busy_until=start + busy, state=state,
        prospect_name="Bar Centrale", prospect_phone="+39 02 1234567", prospect_postal_code="20121", notes="",
        fields={}))
    dbsession.flush()


def busy_numbers(dbsession, start, end):
    return dbsession.execute(select(Appointment.number).where(busy_over(start, end)).order_by(
        Appointment.number)).scalars().all()


def test_a_span_meets_the_appointments_whose_busy_time_it_shares(dbsession, tenant):
    add(dbsession, tenant, START)  # busy 09:00-10:30 UTC, the meeting and its 30 minutes of travel
    first = busy_numbers(dbsession, START, START + HOUR)
    assert len(first) == 1
    assert busy_numbers(dbsession, START + HOUR, START + 2 * HOUR) == first  # inside the travel buffer
    assert busy_numbers(dbsession, START - HOUR, START) == []  # ends as it starts: no instant shared
    assert busy_numbers(dbsession, START + HOUR * 1.5, START + 3 * HOUR) == []  # starts as the buffer ends


def test_cancelled_appointments_keep_no_time(dbsession, tenant):
    add(dbsession, tenant, START, state="cancelled")
    assert busy_numbers(dbsession, START, START + HOUR) == []
    add(dbsession, tenant, START, state="confirmed")
    assert len(busy_numbers(dbsession, START, START + HOUR)) == 1


def test_spans_are_instants_across_the_autumn_clock_change(dbsession, tenant):
    # Rome on 25 October 2026: 03:00 CEST becomes 02:00 CET, so 02:30 comes twice. A meeting at the
    # first 02:30 (00:30 UTC) keeps the agent busy until 02:00 UTC, which is 03:00 CET; the second
    # 02:30 (01:30 UTC) falls inside it, the one after 03:00 CET does not.
    add(dbsession, tenant, datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc))
    second_half_past_two = datetime(2026, 10, 25, 1, 30, tzinfo=timezone.utc)
    assert len(busy_numbers(dbsession, second_half_past_two, second_half_past_two + HOUR)) == 1
    after_three = datetime(2026, 10, 25, 2, 0, tzinfo=timezone.utc)
    assert busy_numbers(dbsession, after_three, after_three + HOUR) == []


def generic_plan(dbsession, statement):
    """PostgreSQL's generic plan of ``statement`` (its values given): the one it keeps for a statement
    prepared once per connection, where it knows no value of a parameter."""
    expanded = statement.compile(dialect=dbsession.get_bind().dialect).construct_expanded_state()
    sql, names = expanded.statement, list(dict.fromkeys(re.findall(r"%\((\w+)\)s", expanded.statement)))
    for position, name in enumerate(names, 1):
        sql = sql.replace(f"%({name})s", f"${position}")
    # The test's tables are small: without this a sequential scan is the cheapest plan of any statement.
    dbsession.execute(text("SET LOCAL enable_seqscan = off"))
    dbsession.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
    dbsession.execute(text(f"PREPARE overlap_plan AS {sql}"))
    arguments = ", ".join(f"'{expanded.parameters[name]}'" for name in names)
    try:
        return "\n".join(dbsession.execute(text(f"EXPLAIN EXECUTE overlap_plan ({arguments})")).scalars())
    finally:
        dbsession.execute(text("DEALLOCATE overlap_plan"))


@pytest.mark.parametrize("statement", ["booking", "week"])
def test_postgresql_answers_from_the_exclusion_constraint_index(backend, dbsession, tenant, statement):
    if backend != "postgresql":
        pytest.skip("the exclusion constraint and its GiST index are PostgreSQL's")
    for day in range(100):  # a busy agent's past, which two comparisons of times would range over
        add(dbsession, tenant, START - timedelta(days=day + 1))
    if statement == "booking":
        query = BOOKED_OR_HELD.params(agent_id=tenant.agent.id, start=START, busy_until=START + HOUR, now=START)
    else:
        query = BUSY_OF_AGENTS.params(agent_ids=[tenant.agent.id], start=START, end=START + HOUR)
    assert "ex_appointments_agent_busy" in generic_plan(dbsession, query)
