"""JSON shape of an appointment, times in the client's time zone (spec §9)."""
from zoneinfo import ZoneInfo


def local_iso(moment, tz):
    return moment.astimezone(ZoneInfo(tz)).isoformat()


def appointment_json(appointment):
    tz = appointment.client.timezone
    return {
        "number": appointment.number,
        "state": appointment.state,
        "start": local_iso(appointment.start_at, tz),
        "end": local_iso(appointment.end_at, tz),
        "agent": appointment.agent.slug,
        "zone": appointment.zone.slug if appointment.zone is not None else None,
        "campaign": appointment.campaign.slug,
        "prospect": {
            "name": appointment.prospect_name,
            "phone": appointment.prospect_phone,
            "postal_code": appointment.prospect_postal_code,
        },
        "notes": appointment.notes,
        "fields": appointment.fields or {},
    }


def page_json(page):
    return {
        "items": [appointment_json(appointment) for appointment in page.items],
        "page": page.page,
        "per_page": page.per_page,
        "has_more": page.has_more,
    }
