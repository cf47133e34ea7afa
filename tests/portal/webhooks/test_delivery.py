"""Events delivered to a real receiver that checks each one with the Standard Webhooks library (spec §9.2):
written with the change and sent after its commit by a real RQ worker, retried under the same webhook-id,
a 410 disables, five days of failures disable, a rolled-back change sends nothing, client B never hears A."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.jobs.outbox import relay
from portal.webhooks.delivery import SCHEDULE, next_wait
from portal.webhooks.endpoints import create_endpoint, rotate_secret
from portal.webhooks.models import WebhookAttempt, WebhookDelivery
from tests.conftest import NOW
from tests.factories import Tenant, make_token
from tests.jobs.conftest import work
from tests.portal.webhooks.receiver import Receiver

START = "2026-11-26T09:00:00+01:00"


@pytest.fixture
def outbound(app):
    """The receivers run on 127.0.0.1 over http: allowed here as a deployment would allow a LAN dialer."""
    settings = app.registry.settings
    saved = {key: settings.get(key) for key in ("portal.outbound.allow_http", "portal.outbound.allowed_networks")}
    settings.update({"portal.outbound.allow_http": "true", "portal.outbound.allowed_networks": "127.0.0.1/32"})
    yield settings
    settings.update(saved)


@pytest.fixture
def tenant(dbsession):
    return Tenant(dbsession, purchased=10)


def endpoint_for(dbsession, settings, receiver, client_id=None, **kw):
    endpoint, secret = create_endpoint(dbsession, settings, url=receiver.url, now=NOW, client_id=client_id, **kw)
    receiver.secret = secret
    return endpoint


def book(testapp, dbsession, tenant, start=START, status=201):
    path = f"/api/v1/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}/appointments"
    body = {"agent": tenant.agent.slug, "start": start,
            "prospect": {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}}
    headers = {"Authorization": f"Bearer {make_token(dbsession, tenant.operator)}"}
    return testapp.post_json(path, body, headers=headers, status=status)


def deliveries(dbsession, endpoint):
    dbsession.expire_all()
    return dbsession.execute(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
                             .order_by(WebhookDelivery.id)).scalars().all()


def test_a_booking_reaches_the_crm_once_signed_and_in_the_apis_shape(testapp, dbsession, jobs, outbound, tenant):
    with Receiver() as crm:
        endpoint = endpoint_for(dbsession, outbound, crm, client_id=tenant.client.id)
        number = book(testapp, dbsession, tenant).json["number"]
        assert crm.accepted == []  # after the commit, by the job tier
        work(jobs)
        [event] = crm.events()
        assert event["type"] == "appointment.booked"
        assert event["data"]["number"] == number and event["data"]["state"] == "to_confirm"
        assert event["data"]["agent"] == tenant.agent.slug and event["data"]["start"] == START
        assert isinstance(event["data"]["sequence"], int)
        [delivery] = deliveries(dbsession, endpoint)
        assert (delivery.state, delivery.attempts) == ("delivered", 1)
        assert crm.refused == 0


def test_the_receiver_down_at_first_gets_it_later_under_the_same_id_and_accepts_it_once(
        testapp, dbsession, jobs, outbound, tenant, clock):
    with Receiver() as crm:
        endpoint = endpoint_for(dbsession, outbound, crm, client_id=tenant.client.id)
        crm.script = [500, (503, {"Retry-After": "120"})]
        book(testapp, dbsession, tenant)
        work(jobs)
        [delivery] = deliveries(dbsession, endpoint)
        assert (delivery.state, delivery.attempts) == ("retrying", 1)
        assert SCHEDULE[0] <= (delivery.next_attempt_at - clock.now).total_seconds() <= SCHEDULE[0] * 1.1
        assert relay(jobs) == 0  # not due yet
        clock.now += timedelta(seconds=10)
        assert relay(jobs) == 1
        work(jobs)
        [delivery] = deliveries(dbsession, endpoint)
        assert (delivery.state, delivery.attempts) == ("retrying", 2)
        assert delivery.next_attempt_at == clock.now + timedelta(seconds=120)  # the receiver's Retry-After
        clock.now += timedelta(seconds=121)
        relay(jobs)
        work(jobs)
        assert deliveries(dbsession, endpoint)[0].state == "delivered"
        assert len(set(crm.seen_ids)) == 1 and len(crm.seen_ids) == 3  # one id, three attempts
        assert len(crm.accepted) == 1
        clock.now += timedelta(days=1)
        assert relay(jobs) == 0  # once delivered, never again
        attempts = dbsession.scalars(select(WebhookAttempt.status_code).join(WebhookDelivery).where(
            WebhookDelivery.endpoint_id == endpoint.id).order_by(WebhookAttempt.id)).all()
        assert attempts == [500, 503, 200]


def test_410_disables_the_endpoint_at_once(testapp, dbsession, jobs, outbound, tenant):
    with Receiver() as crm:
        endpoint = endpoint_for(dbsession, outbound, crm, client_id=tenant.client.id)
        crm.script = [410]
        book(testapp, dbsession, tenant)
        work(jobs)
        dbsession.refresh(endpoint)
        assert (endpoint.enabled, endpoint.disabled_reason) == (False, "gone")
        assert deliveries(dbsession, endpoint)[0].state == "failed"
        book(testapp, dbsession, tenant, start="2026-11-26T11:00:00+01:00")
        assert len(deliveries(dbsession, endpoint)) == 1  # a disabled endpoint hears nothing


def test_an_endpoint_failing_for_five_days_is_disabled(testapp, dbsession, jobs, outbound, tenant, clock):
    with Receiver() as crm:
        endpoint = endpoint_for(dbsession, outbound, crm, client_id=tenant.client.id)
        crm.script = [500] * 20
        book(testapp, dbsession, tenant)
        work(jobs)
        for _ in range(12):
            clock.now += timedelta(hours=12)
            relay(jobs)
            work(jobs)
        dbsession.refresh(endpoint)
        assert (endpoint.enabled, endpoint.disabled_reason) == (False, "failing")
        assert endpoint.disabled_at - NOW >= timedelta(days=5)
        assert crm.accepted == []


def test_a_rolled_back_change_emits_nothing_and_a_committed_one_one_delivery_per_endpoint(
        app, dbsession, outbound, tenant):
    from datetime import datetime, timezone

    from callcenter.booking.services import book_appointment
    from callcenter.lifecycle.services import confirm

    with Receiver() as crm, Receiver() as dialer:
        endpoint_for(dbsession, outbound, crm, client_id=tenant.client.id)
        endpoint_for(dbsession, outbound, dialer)  # the call-center's: every client
        appointment = book_appointment(dbsession, campaign=tenant.campaign, agent=tenant.agent,
                                       start=datetime(2026, 11, 26, 8, 0, tzinfo=timezone.utc),
                                       prospect={"name": "Bar Centrale", "phone": "+39 02 1234567",
                                                 "postal_code": "20121"}, booked_by=tenant.operator, now=NOW)
        before = dbsession.scalar(select(func.count(WebhookDelivery.id)))
        savepoint = dbsession.begin_nested()
        confirm(dbsession, appointment, actor=tenant.client_user, now=NOW)
        assert dbsession.scalar(select(func.count(WebhookDelivery.id))) == before + 2
        savepoint.rollback()
        assert dbsession.scalar(select(func.count(WebhookDelivery.id))) == before


def test_client_b_never_hears_client_a_but_the_dialer_hears_both(testapp, dbsession, jobs, outbound):
    first, second = Tenant(dbsession, purchased=10), Tenant(dbsession, purchased=10)
    with Receiver() as crm_a, Receiver() as crm_b, Receiver() as dialer:
        endpoint_for(dbsession, outbound, crm_a, client_id=first.client.id)
        endpoint_for(dbsession, outbound, crm_b, client_id=second.client.id)
        endpoint_for(dbsession, outbound, dialer)
        book(testapp, dbsession, first)
        work(jobs)
        assert [event["type"] for event in crm_a.events()] == ["appointment.booked"]
        assert crm_b.events() == []
        assert [event["type"] for event in dialer.events()] == ["appointment.booked"]


def test_an_endpoint_hears_only_the_types_it_asked_for(testapp, dbsession, jobs, outbound, tenant):
    with Receiver() as crm:
        endpoint = endpoint_for(dbsession, outbound, crm, client_id=tenant.client.id,
                                event_types=["appointment.confirmed"])
        book(testapp, dbsession, tenant)
        assert deliveries(dbsession, endpoint) == []


def test_a_rotated_secret_still_verifies_with_the_old_one_for_a_day(testapp, dbsession, jobs, outbound, tenant):
    with Receiver() as crm:
        endpoint = endpoint_for(dbsession, outbound, crm, client_id=tenant.client.id)
        old = crm.secret
        rotate_secret(dbsession, outbound, endpoint, NOW)
        book(testapp, dbsession, tenant)
        work(jobs)
        assert len(crm.accepted) == 1  # the receiver still holds the old secret
        assert crm.secret == old


def test_the_schedule_spans_about_three_days():
    total = sum(next_wait(attempt, jitter=lambda: 0) for attempt in range(1, len(SCHEDULE) + 1))
    assert timedelta(days=2, hours=20) <= timedelta(seconds=total) <= timedelta(days=3, hours=6)
    assert next_wait(len(SCHEDULE) + 1) is None
    assert next_wait(1, retry_after=60) == 60


def test_a_redirect_is_not_followed_and_the_address_is_checked_again_at_each_delivery(
        testapp, dbsession, jobs, outbound, tenant, clock):
    with Receiver() as crm, Receiver() as metadata:
        endpoint = endpoint_for(dbsession, outbound, crm, client_id=tenant.client.id)
        crm.script = [(302, {"Location": metadata.url})]
        book(testapp, dbsession, tenant)
        work(jobs)
        attempt = dbsession.scalars(select(WebhookAttempt).join(WebhookDelivery).where(
            WebhookDelivery.endpoint_id == endpoint.id)).one()
        assert (attempt.status_code, attempt.error) == (302, "redirect not followed")
        assert metadata.seen_ids == []
        outbound["portal.outbound.allowed_networks"] = ""  # what was allowed when saved is not any more
        clock.now += timedelta(seconds=10)
        relay(jobs)
        work(jobs)
        attempts = dbsession.scalars(select(WebhookAttempt.error).join(WebhookDelivery).where(
            WebhookDelivery.endpoint_id == endpoint.id).order_by(WebhookAttempt.id)).all()
        assert attempts[1].startswith("webhook_url_forbidden")
        assert len(crm.seen_ids) == 1  # the second attempt never left
