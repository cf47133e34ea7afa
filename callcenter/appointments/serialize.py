"""JSON shape of an appointment, times in the client's time zone (spec §9)."""
from zoneinfo import ZoneInfo


def local_iso(moment, tz):
    """``moment`` in the zone ``tz`` (a name or a ZoneInfo), as ISO 8601."""
    return moment.astimezone(ZoneInfo(tz) if isinstance(tz, str) else tz).isoformat()


def local_iso_or_none(moment, tz):
    return local_iso(moment, tz) if moment is not None else None


def appointment_json(appointment, tz=None):
    """The appointment as §9.1 names it, with its life after booking (confirmed, contacted,
    disowned, cancelled, outcome, flagged for rescheduling); times in the client's zone ``tz`` or null.
    ``appointment`` is the model or a list's row (services.ListedAppointment), which has no client."""
    tz = ZoneInfo(tz or appointment.client.timezone)  # once, not once per time
    return {
        "number": appointment.number,
        "state": appointment.state,
        "start": appointment.start_at.astimezone(tz).isoformat(),
        "end": appointment.end_at.astimezone(tz).isoformat(),
        "agent": appointment.agent.slug,
        "zone": appointment.zone.slug if appointment.zone is not None else None,
        "campaign": appointment.campaign.slug,
        "prospect": {
            "name": appointment.prospect_name,
            "phone": appointment.prospect_phone,
            "postal_code": appointment.prospect_postal_code,
            "company": appointment.prospect_company,
            "address": appointment.prospect_address,
            "province": appointment.prospect_province,
        },
        "notes": appointment.notes,
        "fields": appointment.fields or {},
        "confirmed_at": local_iso_or_none(appointment.confirmed_at, tz),
        "contacted_at": local_iso_or_none(appointment.contacted_at, tz),
        "disowned_at": local_iso_or_none(appointment.disowned_at, tz),
        "cancelled_at": local_iso_or_none(appointment.cancelled_at, tz),
        "cancel_reason": appointment.cancel_reason or None,
        "outcome": appointment.outcome,
        "outcome_notes": appointment.outcome_notes or "",
        "needs_rescheduling": bool(appointment.needs_rescheduling),
        "out_of_schedule": bool(appointment.out_of_schedule),
    }


def page_json(page, tz, links):
    """A page of a list: ``next`` and ``previous`` are the links (path and query, an opaque cursor in
    ``after=`` or ``before=``) of the pages around it, null where there is none; ``page`` is the offset
    page asked for, null on a page reached by a cursor."""
    return {
        "items": [appointment_json(appointment, tz) for appointment in page.items],
        "next": links["next"],
        "previous": links["previous"],
        "page": page.page,
        "per_page": page.per_page,
        "has_more": page.has_more,
    }


def hold_json(hold, tz):
    return {
        "id": hold.id,
        "agent": hold.agent.slug,
        "start": local_iso(hold.start_at, tz),
        "end": local_iso(hold.end_at, tz),
        "expires_at": local_iso(hold.expires_at, tz),
    }


def week_json(week, zone, slots_by_agent, tz):
    """Free slots (spec §9.1 shape) and, apart, the ones other operators hold now."""
    free, held = [], []
    for agent, slots in slots_by_agent.items():
        for slot in slots:
            item = {"agent": agent.slug, "start": local_iso(slot.start, tz), "end": local_iso(slot.end, tz)}
            if slot.held_until is not None:
                held.append({**item, "until": local_iso(slot.held_until, tz)})
            else:
                if slot.hold_id is not None:
                    item["hold"] = slot.hold_id
                free.append(item)
    return {"week": week, "zone": zone.slug, "slots": free, "held": held}


def request_json(request, appointment):
    tz = appointment.client.timezone
    return {
        "appointment": appointment.number,
        "reason": request.reason,
        "notes": request.notes,
        "state": request.state,
        "requested_at": local_iso(request.requested_at, tz),
        "decided_at": local_iso(request.decided_at, tz) if request.decided_at else None,
        "decision_notes": request.decision_notes,
    }


def call_json(call, tz):
    """How today's confirmation call went (rule 3); no row yet: open, never tried."""
    if call is None:
        return {"state": "open", "attempts": 0, "outcome": None, "notes": "", "called_at": None}
    return {"state": call.state, "attempts": call.attempts, "outcome": call.outcome, "notes": call.notes or "",
            "called_at": local_iso_or_none(call.at, tz)}


def recovery_json(recovery, campaign):
    """A recovery of the worklist: book it with ``"recovers": cancelled_appointment`` (rule 11)."""
    cancelled = recovery.cancelled_appointment
    tz = campaign.client.timezone
    return {
        "client": campaign.client.slug,
        "campaign": campaign.slug,
        "cancelled_appointment": cancelled.number,
        "state": recovery.state,
        "cancel_reason": cancelled.cancel_reason or None,
        "cancelled_at": local_iso_or_none(cancelled.cancelled_at, tz),
        "released_at": local_iso_or_none(recovery.released_at, tz),
        "prospect_postal_code": cancelled.prospect_postal_code,
    }


def unavailability_json(unavailability, tz):
    return {
        "id": unavailability.id,
        "start": local_iso(unavailability.start_at, tz),
        "end": local_iso(unavailability.end_at, tz),
        "reason": unavailability.reason,
    }


def change_json(change, tz):
    return {
        "at": local_iso(change.at, tz),
        "subject": change.subject,
        "action": change.action,
        "appointment": change.appointment_number,
        "actor": change.actor.email if change.actor is not None else None,
        "before": change.before,
        "after": change.after,
    }
