"""Every change the appointment history records emits its event, whatever the path (spec §9.2)."""
from datetime import datetime, timedelta, timezone

import orjson
import pytest
from sqlalchemy import select

from callcenter.appointments.labels import ACTIONS
from callcenter.booking.services import book_appointment
from callcenter.lifecycle import services as lifecycle
from callcenter.lifecycle.unavailability import declare_unavailability
from portal.webhooks.endpoints import create_endpoint
from portal.webhooks.events import EVENT_TYPES, HISTORY_EVENTS, PAYLOADS
from portal.webhooks.models import WebhookDelivery
from tests.conftest import BASE_SETTINGS, NOW
from tests.factories import Tenant

EVENT_SUBJECTS = ("appointment", "cancellation_request", "unavailability")
SETTINGS = {**BASE_SETTINGS, "portal.outbound.allowed_networks": "93.184.215.0/24"}


@pytest.mark.parametrize("kind", sorted(kind for kind in ACTIONS if kind[0] in EVENT_SUBJECTS))
def test_every_history_kind_of_an_appointment_has_its_event_type_and_payload(kind):
    assert kind in HISTORY_EVENTS, f"the history kind {kind} emits no webhook event"
    assert HISTORY_EVENTS[kind] in EVENT_TYPES and kind[0] in PAYLOADS


@pytest.fixture
def tenant(dbsession):
    return Tenant(dbsession, purchased=10)


def events_sent(dbsession, endpoint):
    rows = dbsession.scalars(select(WebhookDelivery.body).where(WebhookDelivery.endpoint_id == endpoint.id)
                             .order_by(WebhookDelivery.id)).all()
    return [orjson.loads(row) for row in rows]


def test_the_appointments_life_emits_each_event_in_order_with_a_rising_sequence(dbsession, tenant):
    endpoint, _ = create_endpoint(dbsession, SETTINGS, url="https://93.184.215.14/hooks", now=NOW,
                                  client_id=tenant.client.id)
    start = datetime(2026, 11, 26, 8, 0, tzinfo=timezone.utc)
    appointment = book_appointment(dbsession, campaign=tenant.campaign, agent=tenant.agent, start=start,
                                   prospect={"name": "Bar Centrale", "phone": "+39 02 1234567",
                                             "postal_code": "20121"}, booked_by=tenant.operator, now=NOW)
    lifecycle.confirm(dbsession, appointment, actor=tenant.agent_user, now=NOW)
    lifecycle.postpone(dbsession, appointment, start=start + timedelta(hours=2), actor=tenant.agent_user, now=NOW)
    lifecycle.mark_contacted(dbsession, appointment, actor=tenant.agent_user, now=start)
    lifecycle.record_outcome(dbsession, appointment, outcome="held", notes="", actor=tenant.agent_user,
                             now=start + timedelta(hours=3))
    request = lifecycle.request_cancellation(dbsession, appointment, reason="duplicate", notes="",
                                             actor=tenant.client_user, now=start + timedelta(hours=4))
    lifecycle.decide_cancellation(dbsession, request, appointment, approve=True, notes="ok",
                                  actor=tenant.account_manager, now=start + timedelta(hours=5))
    declare_unavailability(dbsession, tenant.client, start=NOW + timedelta(days=10), end=NOW + timedelta(days=11),
                           reason="ferie", actor=tenant.agent_user, now=NOW, agent=tenant.agent)
    events = events_sent(dbsession, endpoint)
    assert [event["type"] for event in events] == [
        "appointment.booked", "appointment.confirmed", "appointment.postponed", "appointment.contacted",
        "appointment.outcome_recorded", "appointment.cancellation_requested", "appointment.cancelled",
        "appointment.cancellation_decided", "unavailability.declared"]
    sequences = [event["data"]["sequence"] for event in events[:-1]]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    postponed = events[2]["data"]
    assert postponed["previous"] == {"start": "2026-11-26T09:00:00+01:00", "agent": tenant.agent.slug}
    assert postponed["start"] == "2026-11-26T11:00:00+01:00"
    assert events[7]["data"]["cancellation_request"]["state"] == "approved"
    assert events[8]["data"]["agent"] == tenant.agent.slug and events[8]["data"]["reason"] == "ferie"
    assert all(len(orjson.dumps(event)) < 20_000 for event in events)


def test_without_endpoints_nothing_is_written(dbsession, tenant):
    before = dbsession.scalars(select(WebhookDelivery.id)).all()
    book_appointment(dbsession, campaign=tenant.campaign, agent=tenant.agent,
                     start=datetime(2026, 11, 26, 8, 0, tzinfo=timezone.utc),
                     prospect={"name": "Bar", "phone": "+39 02 1234567", "postal_code": "20121"},
                     booked_by=tenant.operator, now=NOW)
    assert dbsession.scalars(select(WebhookDelivery.id)).all() == before
