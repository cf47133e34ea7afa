"""What the webhooks' events carry as ``data`` (spec §9.2): the appointment in the API's own shape (§9.1),
with what the change adds (the previous time and agent of a postponement, the request and its decision),
and a declared unavailability with its agent's and zone's slugs. Registered with ``portal.webhooks.events``,
which calls them only when an endpoint wants the event."""
from datetime import datetime

from sqlalchemy import select

from agents.models import Agent, Zone
from callcenter.appointments.serialize import appointment_json, local_iso
from portal.webhooks.events import PAYLOADS


def appointment_payload(dbsession, change, appointment):
    data = appointment_json(appointment)
    if change.action == "postponed":  # the history keeps UTC; the API speaks the client's zone
        previous = change.before.get("start")
        data["previous"] = {
            "start": local_iso(datetime.fromisoformat(previous), appointment.client.timezone) if previous
            else data["start"],
            "agent": change.before.get("agent", data["agent"])}
    return data


def cancellation_request_payload(dbsession, change, appointment):
    data = appointment_json(appointment)
    data["cancellation_request"] = {"state": "pending" if change.action == "requested" else change.action,
                                    **change.after}
    return data


def unavailability_payload(dbsession, change, appointment):
    agent = dbsession.scalar(select(Agent.slug).where(Agent.id == change.agent_id)) if change.agent_id else None
    zone = dbsession.scalar(select(Zone.slug).where(Zone.id == change.zone_id)) if change.zone_id else None
    return {"agent": agent, "zone": zone, **change.after}


PAYLOADS.update({"appointment": appointment_payload, "cancellation_request": cancellation_request_payload,
                 "unavailability": unavailability_payload})
