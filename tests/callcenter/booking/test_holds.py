"""Rule 10: an operator holds a slot while filling in the prospect; others see it held (both databases)."""
from datetime import datetime, timedelta, timezone

import pytest

from callcenter.booking.services import book_appointment, hold_slot, week_slots
from callcenter.booking.holds import release_hold
from portal.errors import RuleViolation
from tests.conftest import NOW
from tests.factories import Tenant, make_agent, make_campaign, make_user

WEEK = "2026-W48"  # Monday 23 to Sunday 29 November 2026; NOW is Monday 09:00 in Rome
START = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)  # Thursday 10:00 in Rome
HOLD_TIME = timedelta(minutes=5)
PROSPECT = {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}


@pytest.fixture
def tenant(dbsession):
    return Tenant(dbsession)


@pytest.fixture
def colleague(dbsession):
    return make_user(dbsession, "operator")


def hold(dbsession, tenant, operator, start=START, now=NOW, agent=None, campaign=None):
    return hold_slot(dbsession, campaign=campaign or tenant.campaign, agent=agent or tenant.agent, start=start,
                     operator=operator, now=now)


def book(dbsession, tenant, operator, hold_id=None, start=START, now=NOW):
    return book_appointment(dbsession, campaign=tenant.campaign, agent=tenant.agent, start=start,
                            prospect=PROSPECT, booked_by=operator, now=now, hold_id=hold_id)


def slots_seen_by(dbsession, tenant, operator, now=NOW):
    return {slot.start: slot for slot in week_slots(dbsession, tenant.campaign, tenant.zone, WEEK, now=now,
                                                    operator_id=operator.id)[tenant.agent]}


def refused(function, *args, **kw):
    with pytest.raises(RuleViolation) as error:
        function(*args, **kw)
    return error.value


# --- What the week grid shows ----------------------------------------------------------------------


def test_held_slot_shows_as_held_until_expiry_for_another_operator(dbsession, tenant, colleague):
    hold(dbsession, tenant, tenant.operator)
    slot = slots_seen_by(dbsession, tenant, colleague)[START]
    assert (slot.held_until, slot.hold_id) == (NOW + HOLD_TIME, None)


def test_held_slot_shows_as_own_hold_for_the_holder(dbsession, tenant):
    held = hold(dbsession, tenant, tenant.operator)
    slot = slots_seen_by(dbsession, tenant, tenant.operator)[START]
    assert (slot.held_until, slot.hold_id) == (None, held.id)


def test_slots_whose_meeting_and_buffer_overlap_the_hold_show_as_held(dbsession, tenant, colleague):
    hold(dbsession, tenant, tenant.operator)  # 09:00-10:00 UTC, busy with the buffer until 10:30
    slots = slots_seen_by(dbsession, tenant, colleague)
    held = {start for start, slot in slots.items() if slot.held_until is not None}
    assert held == {START + timedelta(minutes=minutes) for minutes in (-60, -30, 0, 30, 60)}
    assert slots[START + timedelta(minutes=90)].held_until is None


def test_slots_of_another_day_are_not_held(dbsession, tenant, colleague):
    hold(dbsession, tenant, tenant.operator)
    assert slots_seen_by(dbsession, tenant, colleague)[START + timedelta(days=1)].held_until is None


def test_expired_hold_no_longer_shows(dbsession, tenant, colleague):
    hold(dbsession, tenant, tenant.operator)
    slot = slots_seen_by(dbsession, tenant, colleague, now=NOW + HOLD_TIME)[START]
    assert (slot.held_until, slot.hold_id) == (None, None)


# --- Holding ------------------------------------------------------------------------------------


def test_hold_lasts_the_campaign_hold_minutes(dbsession, tenant):
    tenant.campaign.hold_minutes = 12
    held = hold(dbsession, tenant, tenant.operator)
    assert (held.start_at, held.end_at, held.busy_until) == (START, START + timedelta(hours=1),
                                                             START + timedelta(minutes=90))
    assert held.expires_at == NOW + timedelta(minutes=12)


def test_second_operator_gets_slot_held_with_the_local_time_it_frees(dbsession, tenant, colleague):
    hold(dbsession, tenant, tenant.operator)
    violation = refused(hold, dbsession, tenant, colleague, now=NOW + timedelta(minutes=2))
    assert (violation.code, violation.field, violation.status) == ("slot_held", "start", 409)
    assert "09:05" in violation.message.interpolate()  # 08:05 UTC is 09:05 in Rome


def test_overlapping_slot_of_the_same_agent_is_held_too(dbsession, tenant, colleague):
    hold(dbsession, tenant, tenant.operator)
    assert refused(hold, dbsession, tenant, colleague, start=START + timedelta(hours=1)).code == "slot_held"
    assert refused(hold, dbsession, tenant, colleague, start=START - timedelta(hours=1)).code == "slot_held"
    hold(dbsession, tenant, colleague, start=START + timedelta(minutes=90))


def test_another_agent_may_be_held_at_the_same_time(dbsession, tenant, colleague):
    hold(dbsession, tenant, tenant.operator)
    other = make_agent(dbsession, tenant.client, zones=[tenant.zone])
    assert hold(dbsession, tenant, colleague, agent=other).agent_id == other.id


def test_hold_is_kept_until_its_last_second(dbsession, tenant, colleague):
    hold(dbsession, tenant, tenant.operator)
    assert refused(hold, dbsession, tenant, colleague, now=NOW + HOLD_TIME - timedelta(seconds=1)).code == "slot_held"


def test_expired_hold_frees_the_slot_for_another_operator(dbsession, tenant, colleague):
    hold(dbsession, tenant, tenant.operator)
    taken_over = hold(dbsession, tenant, colleague, now=NOW + HOLD_TIME)
    slot = slots_seen_by(dbsession, tenant, tenant.operator, now=NOW + HOLD_TIME)[START]
    assert (slot.held_until, slot.hold_id) == (NOW + 2 * HOLD_TIME, None)
    assert taken_over.operator_id == colleague.id


def test_holding_again_replaces_the_operators_previous_hold_on_the_campaign(dbsession, tenant, colleague):
    first = hold(dbsession, tenant, tenant.operator)
    later = NOW + timedelta(minutes=1)
    second = hold(dbsession, tenant, tenant.operator, start=START + timedelta(hours=2), now=later)
    assert first.ended_at == later and second.ended_at is None
    mine = slots_seen_by(dbsession, tenant, tenant.operator, now=later)
    assert (mine[START].hold_id, mine[START + timedelta(hours=2)].hold_id) == (None, second.id)
    assert hold(dbsession, tenant, colleague, now=later).operator_id == colleague.id


def test_hold_on_another_campaign_is_kept(dbsession, tenant):
    other_campaign = make_campaign(dbsession, tenant.client)
    first = hold(dbsession, tenant, tenant.operator)
    hold(dbsession, tenant, tenant.operator, start=START + timedelta(hours=2), campaign=other_campaign)
    assert first.ended_at is None


def test_released_hold_frees_the_slot_at_once(dbsession, tenant, colleague):
    held = hold(dbsession, tenant, tenant.operator)
    later = NOW + timedelta(minutes=1)
    release_hold(held, now=later)
    assert held.ended_at == later
    assert slots_seen_by(dbsession, tenant, colleague, now=later)[START].held_until is None
    hold(dbsession, tenant, colleague, now=later)


def test_released_expired_hold_keeps_its_expiry(dbsession, tenant):
    held = hold(dbsession, tenant, tenant.operator)
    release_hold(held, now=NOW + timedelta(minutes=10))
    assert held.ended_at is None


def test_booked_slot_cannot_be_held(dbsession, tenant, colleague):
    book(dbsession, tenant, tenant.operator)
    violation = refused(hold, dbsession, tenant, colleague, start=START + timedelta(minutes=60))
    assert (violation.code, violation.field) == ("slot_taken", "start")


def test_hold_is_refused_by_the_cutoff_and_the_schedule(dbsession, tenant):
    assert refused(hold, dbsession, tenant, tenant.operator, start=NOW + timedelta(hours=30)).code == "insertion_cutoff"
    evening = START + timedelta(hours=9)  # 19:00 in Rome
    assert refused(hold, dbsession, tenant, tenant.operator, start=evening).code == "outside_schedule"


def test_full_campaign_cannot_hold(dbsession):
    tenant = Tenant(dbsession, purchased=1)
    book(dbsession, tenant, tenant.operator)
    violation = refused(hold, dbsession, tenant, tenant.operator, start=START + timedelta(days=1))
    assert (violation.code, violation.field) == ("quota_exhausted", "campaign")


# --- Booking with a hold ----------------------------------------------------------------------------


def test_booking_with_the_hold_consumes_it(dbsession, tenant, colleague):
    held = hold(dbsession, tenant, tenant.operator)
    later = NOW + timedelta(minutes=3)
    appointment = book(dbsession, tenant, tenant.operator, hold_id=held.id, now=later)
    assert appointment.start_at == START
    assert held.ended_at == later
    seen = slots_seen_by(dbsession, tenant, colleague, now=later)
    assert START not in seen and START + timedelta(minutes=90) in seen


def test_booking_with_an_expired_hold_is_hold_expired(dbsession, tenant):
    held = hold(dbsession, tenant, tenant.operator)
    violation = refused(book, dbsession, tenant, tenant.operator, hold_id=held.id, now=NOW + HOLD_TIME)
    assert (violation.code, violation.field, violation.status) == ("hold_expired", "hold", 409)


def test_booking_with_a_released_hold_is_hold_expired(dbsession, tenant):
    held = hold(dbsession, tenant, tenant.operator)
    release_hold(held, now=NOW + timedelta(minutes=1))
    assert refused(book, dbsession, tenant, tenant.operator, hold_id=held.id,
                   now=NOW + timedelta(minutes=2)).code == "hold_expired"


def test_booking_with_another_operators_hold_is_a_validation_error_on_hold(dbsession, tenant, colleague):
    held = hold(dbsession, tenant, tenant.operator)
    violation = refused(book, dbsession, tenant, colleague, hold_id=held.id)
    assert (violation.code, violation.field) == ("validation_error", "hold")
    assert held.ended_at is None


def test_booking_with_a_hold_of_another_slot_is_a_validation_error_on_hold(dbsession, tenant):
    held = hold(dbsession, tenant, tenant.operator)
    violation = refused(book, dbsession, tenant, tenant.operator, hold_id=held.id, start=START + timedelta(hours=2))
    assert (violation.code, violation.field) == ("validation_error", "hold")


def test_booking_with_an_unknown_hold_is_a_validation_error_on_hold(dbsession, tenant):
    violation = refused(book, dbsession, tenant, tenant.operator, hold_id=987654)
    assert (violation.code, violation.field) == ("validation_error", "hold")


def test_booking_a_slot_another_operator_holds_is_slot_held(dbsession, tenant, colleague):
    hold(dbsession, tenant, tenant.operator)
    violation = refused(book, dbsession, tenant, colleague)
    assert (violation.code, violation.field) == ("slot_held", "start")


def test_holder_booking_without_naming_the_hold_ends_it(dbsession, tenant):
    held = hold(dbsession, tenant, tenant.operator)
    book(dbsession, tenant, tenant.operator)
    assert held.ended_at == NOW
