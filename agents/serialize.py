"""JSON shapes of zones, agents and users (spec §9.1)."""


def zone_json(zone, counts=None):
    data = {
        "slug": zone.slug,
        "name": zone.name,
        "provinces": list(zone.provinces or []),
        "postal_codes": list(zone.postal_codes or []),
    }
    if counts is not None:
        data.update(counts)
    return data


def agent_json(agent, counts=None):
    data = {
        "slug": agent.slug,
        "name": agent.name,
        "email": agent.email,
        "phone": agent.phone,
        "active": agent.active,
        "zones": [zone.slug for zone in agent.zones],
        "schedule": [
            {"weekday": i.weekday, "start": i.start_time.strftime("%H:%M"), "end": i.end_time.strftime("%H:%M")}
            for i in agent.schedule
        ],
    }
    if counts is not None:
        data.update(counts)
    return data


def user_json(user, client=None, agent=None):
    return {
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "client": client.slug if client is not None else None,
        "zones": [zone.slug for zone in user.zones] if user.role == "zone_manager" else [],
        "agent": agent.slug if agent is not None else None,
        "may_book_out_of_schedule": bool(user.may_book_out_of_schedule),
    }


def hhmm(value):
    return value.strftime("%H:%M") if value is not None else None


def exception_json(exception):
    return {"id": exception.id, "day": exception.day.isoformat(), "kind": exception.kind, "start": hhmm(exception.start_time),
            "end": hhmm(exception.end_time), "reason": exception.reason}


def closed_day_json(closed, zones_by_id=None, agents_by_id=None):
    return {
        "id": closed.id,
        "day": closed.day.isoformat(),
        "zone": zones_by_id[closed.zone_id].slug if closed.zone_id else None,
        "agent": agents_by_id[closed.agent_id].slug if closed.agent_id else None,
        "reason": closed.reason,
    }
