"""Booking through the service, on both databases (rules 1, 7, 8)."""
from datetime import datetime, timedelta, timezone

import pytest

from agents.models import Unavailability
from agents.services import add_closed_day
from callcenter.booking.services import book_appointment
from portal.errors import RuleViolation
from tests.conftest import NOW
from tests.factories import Tenant

START = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)  # Thursday 10:00 in Rome
PROSPECT = {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}


def book(dbsession, tenant, start=START, agent=None, prospect=None):
    """A booking for a prospect of the agent's zone (rule 13), unless another prospect is given."""
    agent = agent or tenant.agent
    prospect = prospect or dict(PROSPECT, postal_code=agent.zones[0].postal_codes[0])
    return book_appointment(dbsession, campaign=tenant.campaign, agent=agent, start=start,
                            prospect=prospect, booked_by=tenant.operator, now=NOW)


def test_booking_takes_a_place_and_numbers_the_appointment(dbsession):
    tenant = Tenant(dbsession, purchased=3)
    first = book(dbsession, tenant)
    second = book(dbsession, tenant, start=START + timedelta(hours=2))
    assert (first.number, second.number) == (1, 2)
    assert first.state == "to_confirm"
    assert first.zone_id == tenant.zone.id
    dbsession.refresh(tenant.campaign)
    assert (tenant.campaign.taken, tenant.campaign.to_confirm) == (2, 2)


def test_quota_exhausted_when_taken_equals_purchased(dbsession):
    tenant = Tenant(dbsession, purchased=2)
    book(dbsession, tenant)
    book(dbsession, tenant, start=START + timedelta(hours=2))
    with pytest.raises(RuleViolation) as refused:
        book(dbsession, tenant, start=START + timedelta(hours=4))
    assert refused.value.code == "quota_exhausted"
    assert refused.value.status == 409


def test_same_agent_same_time_is_slot_taken(dbsession):
    tenant = Tenant(dbsession)
    book(dbsession, tenant)
    with pytest.raises(RuleViolation) as refused:
        book(dbsession, tenant, start=START + timedelta(minutes=60))  # inside 60 min + 30 min buffer
    assert refused.value.code == "slot_taken"
    assert book(dbsession, tenant, start=START + timedelta(minutes=90)).number == 2


def test_another_agent_may_take_the_same_time(dbsession):
    tenant = Tenant(dbsession)
    book(dbsession, tenant)
    assert book(dbsession, tenant, agent=tenant.other_agent).number == 2


def test_start_in_the_past_is_refused_by_the_cutoff(dbsession):
    tenant = Tenant(dbsession)
    with pytest.raises(RuleViolation) as refused:
        book(dbsession, tenant, start=NOW - timedelta(days=1))
    assert (refused.value.code, refused.value.field) == ("insertion_cutoff", "start")


def test_agent_of_another_client_is_refused(dbsession):
    tenant, other = Tenant(dbsession), Tenant(dbsession)
    with pytest.raises(RuleViolation) as refused:
        book(dbsession, tenant, agent=other.agent)
    assert (refused.value.code, refused.value.field) == ("validation_error", "agent")


# --- Schedule and unavailabilities (rule 9) -----------------------------------------------------

EVENING = datetime(2026, 11, 26, 19, 0, tzinfo=timezone.utc)  # Thursday 20:00 in Rome, after closing


def book_out_of_schedule(dbsession, tenant, start, asked=True, allowed=True):
    return book_appointment(dbsession, campaign=tenant.campaign, agent=tenant.agent, start=start, prospect=PROSPECT,
                            booked_by=tenant.operator, now=NOW, out_of_schedule=asked,
                            may_book_out_of_schedule=allowed)


def refusal_of(function, *args, **kw):
    with pytest.raises(RuleViolation) as refused:
        function(*args, **kw)
    return refused.value.code, refused.value.field


def unavailable(dbsession, tenant, start, end):
    dbsession.add(Unavailability(client_id=tenant.client.id, agent_id=tenant.agent.id, start_at=start, end_at=end,
                                 reason="dentist"))
    dbsession.flush()


def test_booking_inside_the_schedule_is_not_out_of_schedule(dbsession):
    tenant = Tenant(dbsession)
    assert book(dbsession, tenant).out_of_schedule is False


def test_booking_after_closing_is_outside_schedule(dbsession):
    tenant = Tenant(dbsession)
    assert refusal_of(book, dbsession, tenant, start=EVENING) == ("outside_schedule", "start")


def test_booking_a_meeting_ending_after_closing_is_outside_schedule(dbsession):
    tenant = Tenant(dbsession)
    assert refusal_of(book, dbsession, tenant, start=START + timedelta(hours=7, minutes=30)) == (
        "outside_schedule", "start")  # 17:30 in Rome, would end at 18:30
    assert book(dbsession, tenant, start=START + timedelta(hours=7)).number == 1  # 17:00-18:00


def test_booking_off_the_30_minute_grid_is_outside_schedule(dbsession):
    tenant = Tenant(dbsession)
    assert refusal_of(book, dbsession, tenant, start=START + timedelta(minutes=15)) == ("outside_schedule", "start")


def test_booking_on_immacolata_is_outside_schedule(dbsession):
    tenant = Tenant(dbsession)
    immacolata = datetime(2026, 12, 8, 9, 0, tzinfo=timezone.utc)  # Tuesday 10:00 in Rome
    assert refusal_of(book, dbsession, tenant, start=immacolata) == ("outside_schedule", "start")
    assert book(dbsession, tenant, start=immacolata + timedelta(days=1)).number == 1


def test_booking_on_a_closed_day_of_the_agent_is_outside_schedule(dbsession):
    tenant = Tenant(dbsession)
    add_closed_day(dbsession, tenant.client, day=START.date(), agent=tenant.agent)
    assert refusal_of(book, dbsession, tenant) == ("outside_schedule", "start")
    assert book(dbsession, tenant, agent=tenant.other_agent).number == 1


def test_out_of_schedule_asked_without_the_permission_is_forbidden(dbsession):
    tenant = Tenant(dbsession)
    assert refusal_of(book_out_of_schedule, dbsession, tenant, EVENING, allowed=False) == (
        "forbidden", "out_of_schedule")


def test_permission_alone_does_not_book_out_of_schedule(dbsession):
    tenant = Tenant(dbsession)
    assert refusal_of(book_out_of_schedule, dbsession, tenant, EVENING, asked=False) == ("outside_schedule", "start")


def test_out_of_schedule_allowed_and_asked_is_booked_and_recorded(dbsession):
    tenant = Tenant(dbsession)
    appointment = book_out_of_schedule(dbsession, tenant, EVENING)
    assert (appointment.start_at, appointment.out_of_schedule) == (EVENING, True)


def test_out_of_schedule_booking_still_keeps_the_cutoff_and_double_booking(dbsession):
    tenant = Tenant(dbsession)
    assert refusal_of(book_out_of_schedule, dbsession, tenant, NOW + timedelta(hours=35))[0] == "insertion_cutoff"
    book_out_of_schedule(dbsession, tenant, EVENING)
    assert refusal_of(book_out_of_schedule, dbsession, tenant, EVENING + timedelta(minutes=45)) == (
        "slot_taken", "start")


def test_booking_inside_an_unavailability_is_agent_unavailable(dbsession):
    tenant = Tenant(dbsession)
    unavailable(dbsession, tenant, START + timedelta(minutes=30), START + timedelta(hours=2))
    assert refusal_of(book, dbsession, tenant) == ("agent_unavailable", "start")


def test_unavailability_is_refused_even_when_out_of_schedule_is_allowed(dbsession):
    tenant = Tenant(dbsession)
    unavailable(dbsession, tenant, EVENING - timedelta(hours=1), EVENING + timedelta(hours=3))
    assert refusal_of(book_out_of_schedule, dbsession, tenant, EVENING) == ("agent_unavailable", "start")


def test_out_of_schedule_meeting_running_past_midnight_into_an_unavailability_is_refused(dbsession):
    tenant = Tenant(dbsession)
    late = datetime(2026, 11, 26, 22, 30, tzinfo=timezone.utc)  # Thursday 23:30 in Rome, ends Friday 00:30
    unavailable(dbsession, tenant, datetime(2026, 11, 26, 23, 0, tzinfo=timezone.utc), late + timedelta(days=1))
    assert refusal_of(book_out_of_schedule, dbsession, tenant, late) == ("agent_unavailable", "start")


# --- Rule 13: the prospect's area routes to a zone, and the agent must work in it ---------------------


def test_an_agent_of_another_zone_than_the_prospects_is_refused(dbsession):
    tenant = Tenant(dbsession)
    prospect = dict(PROSPECT, postal_code="10121")  # Torino's zone; the agent works in Milano's
    error = refusal_of(book, dbsession, tenant, prospect=prospect)
    assert error == ("validation_error", "agent")
    dbsession.refresh(tenant.campaign)
    assert tenant.campaign.taken == 0


@pytest.mark.parametrize("prospect", [{"postal_code": "99999"}, {"postal_code": "99999", "province": "RM"}])
def test_a_prospect_no_zone_covers_is_refused_on_the_postal_code(dbsession, prospect):
    tenant = Tenant(dbsession)
    assert refusal_of(book, dbsession, tenant, prospect=dict(PROSPECT, **prospect)) == (
        "validation_error", "prospect.postal_code")


def test_the_province_routes_when_the_postal_code_does_not(dbsession):
    tenant = Tenant(dbsession)
    booked = book(dbsession, tenant, prospect=dict(PROSPECT, postal_code="20999", province="MI"))
    assert booked.zone_id == tenant.zone.id


def test_the_appointment_is_in_the_zone_the_prospect_routes_to_among_the_agents_zones(dbsession):
    from tests.factories import make_agent, make_zone

    tenant = Tenant(dbsession)
    centre = make_zone(dbsession, tenant.client, postal_codes=["2012"])  # a prefix: "20121" itself stays Milano's
    both = make_agent(dbsession, tenant.client, zones=[tenant.zone, centre])
    assert book(dbsession, tenant, agent=both, prospect=dict(PROSPECT, postal_code="20121")).zone_id == tenant.zone.id
    assert book(dbsession, tenant, agent=both, start=START + timedelta(hours=2),
                prospect=dict(PROSPECT, postal_code="20129")).zone_id == centre.id
