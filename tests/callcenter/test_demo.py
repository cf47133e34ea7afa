"""The demo is the first thing a user sees: every appointment in it obeys the booking rules."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from agents.availability import public_holidays
from agents.models import ClosedDay
from agents.routing import route_to_zone
from callcenter.booking.services import check_calendar
from callcenter.demo import load_demo_data
from callcenter.appointments.models import ACTIVE_STATES, Appointment
from campaigns.models import Campaign, Client
from campaigns.services import client_counts
from portal.errors import RuleViolation
from tests.conftest import NOW


# The suite's Monday, and a day whose coming weeks hold 8 December, Christmas and New Year's Day.
DEMO_DAYS = [NOW, datetime(2026, 12, 4, 8, 0, tzinfo=timezone.utc)]


@pytest.fixture(params=DEMO_DAYS, ids=["23-november", "4-december"])
def demo(dbsession, request):
    assert load_demo_data(dbsession, now=request.param)
    client = dbsession.execute(select(Client).where(Client.slug == "demo")).scalar_one()
    appointments = dbsession.execute(
        select(Appointment).where(Appointment.client_id == client.id).order_by(Appointment.number)
    ).scalars().all()
    return client, appointments


def test_the_demo_keeps_the_source_figures(dbsession, demo):
    client, appointments = demo
    counts = client_counts(dbsession, client.id)
    assert (counts["purchased"], counts["taken"], counts["to_confirm"]) == (200, 189, 21)
    assert sum(1 for appointment in appointments if appointment.state in ACTIVE_STATES) == 189


def test_every_demo_appointment_passes_the_booking_rules(dbsession, demo):
    """Rule 9 (schedule, public holidays, closed days, unavailabilities), checked by the same
    function the booking service calls; rule 13 (the prospect's zone); rule 8 (no overlap)."""
    client, appointments = demo
    campaigns = {campaign.id: campaign for campaign in dbsession.execute(select(Campaign)).scalars()}
    refused = []
    for appointment in appointments:
        campaign = campaigns[appointment.campaign_id]
        try:
            check_calendar(dbsession, campaign, appointment.agent, appointment.start_at, appointment.end_at,
                           out_of_schedule=False, may_book_out_of_schedule=False)
        except RuleViolation as violation:
            refused.append((appointment.number, appointment.start_at, violation.code))
        zone = route_to_zone(appointment.agent.zones, appointment.prospect_postal_code)
        assert zone.id == appointment.zone_id, appointment.number
    assert refused == []


def test_no_demo_appointment_falls_on_a_holiday_or_closed_day_or_overlaps_another(dbsession, demo):
    client, appointments = demo

    def client_closed_days(client):
        return dbsession.execute(select(ClosedDay).where(ClosedDay.client_id == client.id)).scalars().all()

    tz = ZoneInfo(client.timezone)
    days = {appointment.start_at.astimezone(tz).date() for appointment in appointments}
    holidays = {day for day in days if day in public_holidays(client.country, day.year)}
    assert holidays == set()
    assert date(2026, 12, 8) not in days  # the Immaculate Conception
    closed = {row.day for row in client_closed_days(client)}
    assert len(closed) == 1 and not closed & days  # the demo's closed day has no appointment
    active = sorted((a for a in appointments if a.state in ACTIVE_STATES), key=lambda a: (a.agent_id, a.start_at))
    for before, after in zip(active, active[1:]):
        if before.agent_id == after.agent_id:
            assert before.busy_until <= after.start_at, (before.number, after.number)
