"""Events (spec §9.2): written in the transaction of the change that causes them, one delivery per
subscribed endpoint, handed to the job tier once that transaction commits (a rolled-back change emits
nothing).

Every change the history records emits its event: ``portal.history.record`` hands each change here, and
``HISTORY_EVENTS`` names the event of each kind (a test fails when a kind has none). The event's ``data``
is the object in the API's own shape (§9.1), built by the package that owns it (``PAYLOADS``, filled by
``callcenter``), and only when some endpoint wants the event, so a portal without endpoints pays one
indexed query per transaction and nothing more.
"""
import uuid
from datetime import timezone

import orjson
from sqlalchemy import or_, select

from portal.jobs.outbox import request_job
from portal.webhooks.models import WebhookDelivery, WebhookEndpoint

DELIVER = "portal.webhooks.delivery:deliver"
HISTORY_EVENTS = {
    ("appointment", "booked"): "appointment.booked",
    ("appointment", "imported"): "appointment.imported",
    ("appointment", "confirmed"): "appointment.confirmed",
    ("appointment", "postponed"): "appointment.postponed",
    ("appointment", "contacted"): "appointment.contacted",
    ("appointment", "disowned"): "appointment.disowned",
    ("appointment", "outcome"): "appointment.outcome_recorded",
    ("appointment", "cancelled"): "appointment.cancelled",
    ("cancellation_request", "requested"): "appointment.cancellation_requested",
    ("cancellation_request", "approved"): "appointment.cancellation_decided",
    ("cancellation_request", "rejected"): "appointment.cancellation_decided",
    ("unavailability", "declared"): "unavailability.declared",
}
PING = "ping"
EVENT_TYPES = tuple(sorted(set(HISTORY_EVENTS.values()))) + (PING,)
# subject -> payload(dbsession, change, appointment): the event's data, registered by the owning package.
PAYLOADS = {}
_ENDPOINTS = "portal.webhooks.endpoints"  # dbsession.info: (transaction, {client_id: endpoints})


def endpoints_for(dbsession, client_id):
    """The enabled endpoints that hear a client: its own and the call-center's; once per transaction."""
    transaction = dbsession.get_transaction()
    cached = dbsession.info.get(_ENDPOINTS)
    if cached is None or cached[0] is not transaction:
        cached = dbsession.info[_ENDPOINTS] = (transaction, {})
    if client_id not in cached[1]:
        cached[1][client_id] = dbsession.execute(select(WebhookEndpoint).where(
            WebhookEndpoint.enabled.is_(True),
            or_(WebhookEndpoint.client_id == client_id, WebhookEndpoint.client_id.is_(None)),
        )).scalars().all()
    return cached[1][client_id]


def forget_endpoints(dbsession):
    """After an endpoint is added, changed or removed: the next event reads them again."""
    dbsession.info.pop(_ENDPOINTS, None)


def from_change(dbsession, change, appointment=None):
    """The event of a history line, for every endpoint that wants it; [] when none does."""
    event_type = HISTORY_EVENTS.get((change.subject, change.action))
    if event_type is None:
        return []
    endpoints = [endpoint for endpoint in endpoints_for(dbsession, change.client_id) if endpoint.wants(event_type)]
    if not endpoints:
        return []
    dbsession.flush()  # the change's id: it orders an appointment's events (``sequence``)
    data = PAYLOADS[change.subject](dbsession, change, appointment)
    if change.appointment_id is not None:
        data["sequence"] = change.id
    return emit(dbsession, endpoints, event_type, data, change.at)


def emit(dbsession, endpoints, event_type, data, at):
    """One delivery per endpoint, its body written now as it will be signed and sent at every attempt."""
    body = orjson.dumps({"type": event_type, "timestamp": at.astimezone(timezone.utc).isoformat(),
                         "data": data}).decode("utf-8")
    deliveries = [WebhookDelivery(endpoint_id=endpoint.id, message_id="msg_" + uuid.uuid4().hex,
                                  event_type=event_type, body=body, state="pending", attempts=0, created_at=at)
                  for endpoint in endpoints]
    dbsession.add_all(deliveries)
    dbsession.flush()
    for delivery in deliveries:
        request_job(dbsession, DELIVER, at, delivery_id=delivery.id)
    return deliveries


def send_ping(dbsession, endpoint, at):
    """A ``ping`` to one endpoint, to test it from its page (delivered like any event)."""
    return emit(dbsession, [endpoint], PING, {"endpoint": endpoint.id}, at)[0]
