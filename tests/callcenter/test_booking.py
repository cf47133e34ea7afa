"""Booking through the service, on both databases (rules 1, 7, 8)."""
from datetime import datetime, timedelta, timezone

import pytest

from callcenter.booking import book_appointment
from portal.errors import RuleViolation
from tests.conftest import NOW
from tests.factories import Tenant

START = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)  # Thursday 10:00 in Rome
PROSPECT = {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}


def book(dbsession, tenant, start=START, agent=None):
    return book_appointment(dbsession, campaign=tenant.campaign, agent=agent or tenant.agent, start=start,
                            prospect=PROSPECT, booked_by=tenant.operator, now=NOW)


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
