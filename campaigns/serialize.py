"""JSON shapes of clients, campaigns and steps (spec §9.1)."""
from zoneinfo import ZoneInfo

from campaigns.services import campaign_counts


def client_json(client, counts=None):
    data = {"slug": client.slug, "name": client.name, "timezone": client.timezone, "country": client.country}
    if counts is not None:
        data.update(counts)
    return data


def campaign_json(campaign):
    data = {
        "slug": campaign.slug,
        "name": campaign.name,
        "client": campaign.client.slug,
        "appointment_minutes": campaign.appointment_minutes,
        "buffer_minutes": campaign.buffer_minutes,
        "cutoff_hours": campaign.cutoff_hours,
        "hold_minutes": campaign.hold_minutes,
        "reminder_hours": campaign.reminder_hours,
        "alert_thresholds": list(campaign.alert_thresholds or []),
        "recoveries_per_day": campaign.recoveries_per_day,
    }
    data.update(campaign_counts(campaign))
    return data


def step_json(step):
    return {
        "number": step.number,
        "quantity": step.quantity,
        "valid_from": step.valid_from.isoformat() if step.valid_from else None,
        "valid_to": step.valid_to.isoformat() if step.valid_to else None,
        "description": step.description,
        "state": step.state,
        "created_by": step.created_by.email if step.created_by is not None else None,
        "confirmed_by": step.confirmed_by.email if step.confirmed_by is not None else None,
        "confirmed_at": step.confirmed_at.astimezone(ZoneInfo(step.campaign.client.timezone)).isoformat()
        if step.confirmed_at else None,
    }


def field_json(field):
    return {
        "name": field.name,
        "label": field.label,
        "kind": field.kind,
        "required": field.required,
        "help_text": field.help_text,
        "choices": list(field.choices or []),
    }
