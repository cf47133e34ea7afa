"""Rule 8 held by PostgreSQL itself: the exclusion constraint refuses overlapping active appointments
of one agent even when the services are bypassed."""
from datetime import datetime, timedelta, timezone
from itertools import count

import pytest
from sqlalchemy.exc import IntegrityError

from callcenter.booking.services import flush_refusing_overlaps
from callcenter.appointments.models import Appointment
from portal.errors import RuleViolation
from tests.factories import Tenant, make_agent

START = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
MEETING, BUFFER = timedelta(minutes=60), timedelta(minutes=30)
_numbers = count(1)


@pytest.fixture
def tenant(backend, dbsession):
    if backend != "postgresql":
        pytest.skip("the exclusion constraint exists on PostgreSQL only; SQLite serialises writers")
    return Tenant(dbsession)


def appointment(tenant, start=START, state="to_confirm", agent=None, number=None):
    """An appointment row written straight to the table, past every check of the services."""
    return Appointment(
        client_id=tenant.client.id, number=number or next(_numbers), campaign_id=tenant.campaign.id,
        agent_id=(agent or tenant.agent).id, zone_id=tenant.zone.id, start_at=start, end_at=start + MEETING,
        busy_until=start + MEETING + BUFFER, state=state, prospect_name="Bar Centrale",
        prospect_phone="+39 02 1234567", prospect_postal_code="20121", notes="", fields={},
    )


def insert(dbsession, *rows):
    dbsession.add_all(rows)
    dbsession.flush()


def refused_by_the_database(dbsession, *rows):
    with pytest.raises(IntegrityError) as error:
        with dbsession.begin_nested():
            insert(dbsession, *rows)
    return error.value.orig


def test_overlapping_active_appointments_of_one_agent_are_refused_by_the_constraint(dbsession, tenant):
    insert(dbsession, appointment(tenant))
    refusal = refused_by_the_database(dbsession, appointment(tenant, start=START + timedelta(minutes=30)))
    assert refusal.sqlstate == "23P01"
    assert refusal.diag.constraint_name == "ex_appointments_agent_busy"


def test_the_travel_buffer_is_part_of_the_busy_range(dbsession, tenant):
    insert(dbsession, appointment(tenant))
    # Starts when the first meeting ends, but inside its 30 minutes of buffer.
    assert refused_by_the_database(dbsession, appointment(tenant, start=START + MEETING)).sqlstate == "23P01"


def test_confirmed_and_to_confirm_both_count_as_active(dbsession, tenant):
    insert(dbsession, appointment(tenant, state="confirmed"))
    assert refused_by_the_database(dbsession, appointment(tenant)).sqlstate == "23P01"


def test_the_same_range_twice_in_one_flush_is_refused(dbsession, tenant):
    assert refused_by_the_database(dbsession, appointment(tenant), appointment(tenant)).sqlstate == "23P01"


def test_a_cancelled_appointment_may_overlap(dbsession, tenant):
    insert(dbsession, appointment(tenant, state="cancelled"), appointment(tenant, state="cancelled"))
    insert(dbsession, appointment(tenant))


def test_reactivating_a_cancelled_appointment_onto_a_taken_range_is_refused(dbsession, tenant):
    cancelled = appointment(tenant, state="cancelled")
    insert(dbsession, cancelled, appointment(tenant, start=START + timedelta(minutes=30)))
    cancelled.state = "to_confirm"
    assert refused_by_the_database(dbsession).sqlstate == "23P01"


def test_touching_ranges_are_allowed(dbsession, tenant):
    first = appointment(tenant)
    insert(dbsession, first, appointment(tenant, start=START + MEETING + BUFFER))  # starts at busy_until
    insert(dbsession, appointment(tenant, start=START - MEETING - BUFFER))  # ends its buffer at START


def test_other_agents_may_overlap(dbsession, tenant):
    insert(dbsession, appointment(tenant), appointment(tenant, agent=tenant.other_agent),
           appointment(tenant, agent=make_agent(dbsession, tenant.client, zones=[tenant.zone])))


def test_flush_refusing_overlaps_turns_the_violation_into_slot_taken(dbsession, tenant):
    insert(dbsession, appointment(tenant))
    with pytest.raises(RuleViolation) as refused:
        with dbsession.begin_nested():  # opened first: it flushes what is pending
            dbsession.add(appointment(tenant, start=START + timedelta(minutes=30)))
            flush_refusing_overlaps(dbsession)
    assert (refused.value.code, refused.value.field, refused.value.status) == ("slot_taken", "start", 409)
    assert isinstance(refused.value.__cause__, IntegrityError)


def test_flush_refusing_overlaps_lets_other_integrity_errors_through(dbsession, tenant):
    insert(dbsession, appointment(tenant, number=900))
    with pytest.raises(IntegrityError) as error:
        with dbsession.begin_nested():
            dbsession.add(appointment(tenant, start=START + timedelta(days=1), number=900))  # duplicate number
            flush_refusing_overlaps(dbsession)
    assert error.value.orig.sqlstate == "23505"
