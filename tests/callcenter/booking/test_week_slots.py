"""The free slots of a zone's agents for one ISO week (spec §5 rules 1, 8, 9), on both databases."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from agents.models import Unavailability
from agents.services import add_closed_day, add_schedule_exception, replace_schedule
from callcenter.booking.services import book_appointment, week_slots
from portal.errors import RuleViolation
from tests.conftest import NOW
from tests.factories import Tenant, make_agent, make_zone

ROME = ZoneInfo("Europe/Rome")
WEEK = "2026-W48"  # Monday 23 to Sunday 29 November 2026; NOW is Monday 09:00 in Rome
THURSDAY = date(2026, 11, 26)
PROSPECT = {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def rome(*args):
    return datetime(*args, tzinfo=ROME).astimezone(timezone.utc)


@pytest.fixture
def tenant(dbsession):
    return Tenant(dbsession)


def starts(dbsession, tenant, agent=None, week=WEEK, now=NOW, zone=None):
    slots = week_slots(dbsession, tenant.campaign, zone or tenant.zone, week, now=now)
    return [slot.start for slot in slots[agent or tenant.agent]]


def days_with_slots(dbsession, tenant, agent=None, **kw):
    return sorted({start.astimezone(ROME).date() for start in starts(dbsession, tenant, agent, **kw)})


def unavailable(dbsession, tenant, start, end, zone=None, agent=None):
    row = Unavailability(client_id=tenant.client.id, zone_id=zone.id if zone else None,
                         agent_id=agent.id if agent else None, start_at=start, end_at=end, reason="test")
    dbsession.add(row)
    dbsession.flush()
    return row


def book(dbsession, tenant, start, agent=None, now=NOW):
    return book_appointment(dbsession, campaign=tenant.campaign, agent=agent or tenant.agent, start=start,
                            prospect=PROSPECT, booked_by=tenant.operator, now=now)


# --- Which agents, which days -------------------------------------------------------------------


def test_only_the_active_agents_of_the_zone_are_listed(dbsession, tenant):
    colleague = make_agent(dbsession, tenant.client, zones=[tenant.zone])
    retired = make_agent(dbsession, tenant.client, zones=[tenant.zone])
    retired.active = False
    dbsession.flush()
    slots = week_slots(dbsession, tenant.campaign, tenant.zone, WEEK, now=NOW)
    assert set(slots) == {tenant.agent, colleague}


def test_zone_without_agents_has_no_slots(dbsession, tenant):
    assert week_slots(dbsession, tenant.campaign, make_zone(dbsession, tenant.client), WEEK, now=NOW) == {}


def test_first_slot_is_the_first_grid_start_after_36_hours(dbsession, tenant):
    # NOW + 36 h is Tuesday 21:00 in Rome, after closing: the first slot is Wednesday 09:00.
    found = starts(dbsession, tenant)
    assert found[0] == rome(2026, 11, 25, 9)
    assert days_with_slots(dbsession, tenant) == [date(2026, 11, 25), date(2026, 11, 26), date(2026, 11, 27)]


def test_each_open_day_offers_17_one_hour_slots_from_9_to_17(dbsession, tenant):
    thursday = [start for start in starts(dbsession, tenant) if start.astimezone(ROME).date() == THURSDAY]
    assert (len(thursday), thursday[0], thursday[-1]) == (17, rome(2026, 11, 26, 9), rome(2026, 11, 26, 17))
    assert all(later - earlier == timedelta(minutes=30) for earlier, later in zip(thursday, thursday[1:]))


def test_slot_exactly_36_hours_ahead_is_not_offered_because_it_cannot_be_booked(dbsession, tenant):
    now = rome(2026, 11, 24, 21)  # Thursday 09:00 in Rome is exactly 36 hours later
    found = starts(dbsession, tenant, now=now)
    assert rome(2026, 11, 26, 9) not in found
    assert found[0] == rome(2026, 11, 26, 9, 30)
    with pytest.raises(RuleViolation) as refused:
        book(dbsession, tenant, rome(2026, 11, 26, 9), now=now)
    assert refused.value.code == "insertion_cutoff"
    assert book(dbsession, tenant, found[0], now=now).start_at == found[0]


def test_past_week_has_no_slots(dbsession, tenant):
    assert starts(dbsession, tenant, week="2026-W47") == []


def test_bad_week_is_a_validation_error_on_week(dbsession, tenant):
    with pytest.raises(RuleViolation) as refused:
        week_slots(dbsession, tenant.campaign, tenant.zone, "2026-W60", now=NOW)
    assert (refused.value.code, refused.value.field) == ("validation_error", "week")


def test_immacolata_has_no_slots(dbsession, tenant):
    assert days_with_slots(dbsession, tenant, week="2026-W50") == [
        date(2026, 12, 7), date(2026, 12, 9), date(2026, 12, 10), date(2026, 12, 11)]


def test_slots_open_at_9_in_rome_on_both_sides_of_the_october_change(dbsession, tenant):
    now = utc(2026, 10, 1, 8)
    friday = [s for s in starts(dbsession, tenant, week="2026-W43", now=now) if s.date() == date(2026, 10, 23)]
    monday = [s for s in starts(dbsession, tenant, week="2026-W44", now=now) if s.date() == date(2026, 10, 26)]
    assert (friday[0], friday[-1]) == (utc(2026, 10, 23, 7), utc(2026, 10, 23, 15))
    assert (monday[0], monday[-1]) == (utc(2026, 10, 26, 8), utc(2026, 10, 26, 16))


def test_slots_open_at_9_in_rome_on_both_sides_of_the_march_change(dbsession, tenant):
    now = utc(2027, 3, 1, 8)  # clocks go forward on Sunday 28 March 2027
    friday = [s for s in starts(dbsession, tenant, week="2027-W12", now=now) if s.date() == date(2027, 3, 26)]
    after = starts(dbsession, tenant, week="2027-W13", now=now)
    assert friday[0] == utc(2027, 3, 26, 8)
    # Monday 29 March 2027 is Easter Monday, a public holiday in Italy: the week opens on Tuesday.
    assert after[0] == utc(2027, 3, 30, 7)


# --- Dated openings and closures ----------------------------------------------------------------


def test_dated_opening_adds_saturday_slots(dbsession, tenant):
    saturday = date(2026, 11, 28)
    add_schedule_exception(dbsession, tenant.agent, day=saturday, kind="opening", start=time(9), end=time(12))
    on_saturday = [s for s in starts(dbsession, tenant) if s.astimezone(ROME).date() == saturday]
    assert on_saturday == [rome(2026, 11, 28, 9), rome(2026, 11, 28, 9, 30), rome(2026, 11, 28, 10),
                           rome(2026, 11, 28, 10, 30), rome(2026, 11, 28, 11)]


def test_whole_day_closure_removes_the_day(dbsession, tenant):
    add_schedule_exception(dbsession, tenant.agent, day=THURSDAY, kind="closure")
    assert THURSDAY not in days_with_slots(dbsession, tenant)


def test_part_day_closure_removes_only_those_hours(dbsession, tenant):
    add_schedule_exception(dbsession, tenant.agent, day=THURSDAY, kind="closure", start=time(9), end=time(13))
    thursday = [s for s in starts(dbsession, tenant) if s.astimezone(ROME).date() == THURSDAY]
    assert thursday[0] == rome(2026, 11, 26, 13)


def test_closure_of_another_agent_does_not_close_this_one(dbsession, tenant):
    colleague = make_agent(dbsession, tenant.client, zones=[tenant.zone])
    add_schedule_exception(dbsession, colleague, day=THURSDAY, kind="closure")
    assert THURSDAY in days_with_slots(dbsession, tenant)
    assert THURSDAY not in days_with_slots(dbsession, tenant, agent=colleague)


# --- Closed days --------------------------------------------------------------------------------


def test_closed_day_of_the_client_closes_every_agent(dbsession, tenant):
    colleague = make_agent(dbsession, tenant.client, zones=[tenant.zone])
    add_closed_day(dbsession, tenant.client, day=THURSDAY)
    assert THURSDAY not in days_with_slots(dbsession, tenant)
    assert THURSDAY not in days_with_slots(dbsession, tenant, agent=colleague)
    assert THURSDAY not in days_with_slots(dbsession, tenant, agent=tenant.other_agent, zone=tenant.other_zone)


def test_closed_day_of_the_agents_zone_closes_it(dbsession, tenant):
    add_closed_day(dbsession, tenant.client, day=THURSDAY, zone=tenant.zone)
    assert THURSDAY not in days_with_slots(dbsession, tenant)
    assert THURSDAY in days_with_slots(dbsession, tenant, agent=tenant.other_agent, zone=tenant.other_zone)


def test_closed_day_of_another_zone_leaves_the_agent_open(dbsession, tenant):
    add_closed_day(dbsession, tenant.client, day=THURSDAY, zone=tenant.other_zone)
    assert THURSDAY in days_with_slots(dbsession, tenant)


def test_closed_day_of_the_agent_closes_only_that_agent(dbsession, tenant):
    colleague = make_agent(dbsession, tenant.client, zones=[tenant.zone])
    add_closed_day(dbsession, tenant.client, day=THURSDAY, agent=tenant.agent)
    assert THURSDAY not in days_with_slots(dbsession, tenant)
    assert THURSDAY in days_with_slots(dbsession, tenant, agent=colleague)


def test_closed_day_of_another_client_is_ignored(dbsession, tenant):
    other = Tenant(dbsession)
    add_closed_day(dbsession, other.client, day=THURSDAY)
    assert THURSDAY in days_with_slots(dbsession, tenant)


# --- Unavailabilities ---------------------------------------------------------------------------


@pytest.mark.parametrize("scope", ["client", "zone", "agent"])
def test_unavailability_of_client_zone_or_agent_removes_the_slots_it_overlaps(dbsession, tenant, scope):
    unavailable(dbsession, tenant, rome(2026, 11, 26, 11), rome(2026, 11, 26, 13),
                zone=tenant.zone if scope == "zone" else None, agent=tenant.agent if scope == "agent" else None)
    found = starts(dbsession, tenant)
    assert rome(2026, 11, 26, 10) in found  # ends at 11:00, when the unavailability begins
    for start in (rome(2026, 11, 26, 10, 30), rome(2026, 11, 26, 11), rome(2026, 11, 26, 12, 30)):
        assert start not in found
    assert rome(2026, 11, 26, 13) in found


def test_unavailability_of_another_agent_or_zone_is_ignored(dbsession, tenant):
    colleague = make_agent(dbsession, tenant.client, zones=[tenant.zone])
    unavailable(dbsession, tenant, rome(2026, 11, 26, 9), rome(2026, 11, 26, 18), agent=colleague)
    unavailable(dbsession, tenant, rome(2026, 11, 26, 9), rome(2026, 11, 26, 18), zone=tenant.other_zone)
    assert THURSDAY in days_with_slots(dbsession, tenant)
    assert THURSDAY not in days_with_slots(dbsession, tenant, agent=colleague)


def test_unavailability_over_several_days_removes_them_all(dbsession, tenant):
    unavailable(dbsession, tenant, rome(2026, 11, 25, 0), rome(2026, 11, 27, 0), agent=tenant.agent)
    assert days_with_slots(dbsession, tenant) == [date(2026, 11, 27)]


# --- Existing appointments and the travel buffer ------------------------------------------------


def test_existing_appointment_and_its_buffer_remove_the_overlapping_slots(dbsession, tenant):
    book(dbsession, tenant, rome(2026, 11, 26, 12))  # busy 12:00-13:30 with the 30-minute buffer
    found = starts(dbsession, tenant)
    assert rome(2026, 11, 26, 10, 30) in found  # 10:30-11:30, buffer until 12:00
    for start in (rome(2026, 11, 26, 11), rome(2026, 11, 26, 11, 30), rome(2026, 11, 26, 12),
                  rome(2026, 11, 26, 13)):
        assert start not in found
    assert rome(2026, 11, 26, 13, 30) in found  # exactly when the agent is free again


def test_appointment_of_another_agent_leaves_the_slot_free(dbsession, tenant):
    colleague = make_agent(dbsession, tenant.client, zones=[tenant.zone])
    book(dbsession, tenant, rome(2026, 11, 26, 12), agent=colleague)
    assert rome(2026, 11, 26, 12) in starts(dbsession, tenant)
    assert rome(2026, 11, 26, 12) not in starts(dbsession, tenant, agent=colleague)


def test_cancelled_appointment_frees_its_slot(dbsession, tenant):
    appointment = book(dbsession, tenant, rome(2026, 11, 26, 12))
    appointment.state = "cancelled"
    dbsession.flush()
    assert rome(2026, 11, 26, 12) in starts(dbsession, tenant)


def test_appointment_of_the_previous_week_keeps_the_agent_busy_into_this_week(dbsession, tenant):
    # A night shift on Mondays 00:00-06:00, and a meeting booked out of schedule on Sunday at 23:30:
    # with its buffer the agent is busy until Monday 01:00, inside week 49.
    replace_schedule(tenant.agent, [{"weekday": 0, "start": time(0), "end": time(6)}])
    book_appointment(dbsession, campaign=tenant.campaign, agent=tenant.agent, start=rome(2026, 11, 29, 23, 30),
                     prospect=PROSPECT, booked_by=tenant.operator, now=NOW, out_of_schedule=True,
                     may_book_out_of_schedule=True)
    found = starts(dbsession, tenant, week="2026-W49")
    assert found[0] == rome(2026, 11, 30, 1)
