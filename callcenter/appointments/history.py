"""The history of changes in plain words: when, who, what, and each value before and after."""
from datetime import datetime

from sqlalchemy import select

from agents.models import Agent, Zone
from campaigns.models import Campaign
from portal.history import recent_changes
from portal.i18n import _
from portal.layout import local_datetime
from callcenter.appointments.labels import ACTIONS, DETAIL_LABELS, NO, OUTCOME_LABELS, REASON_LABELS, STATE_LABELS, YES


class Names:
    """Agents' and zones' names of a client, for the history's readable words (one query each)."""

    def __init__(self, dbsession, client_id):
        agents = dbsession.execute(select(Agent.id, Agent.slug, Agent.name).where(Agent.client_id == client_id)).all()
        self.agent_by_slug = {slug: name for _id, slug, name in agents}
        self.agent_by_id = {agent_id: name for agent_id, _slug, name in agents}
        self.zone_by_id = dict(dbsession.execute(select(Zone.id, Zone.name).where(Zone.client_id == client_id)).all())
        self.campaign_by_id = dict(dbsession.execute(
            select(Campaign.id, Campaign.name).where(Campaign.client_id == client_id)).all())


def readable(request, key, value, tz, names):
    translate, locale = request.localizer.translate, request.locale_name
    if value is None or value == "":
        return "—"
    if key in ("start", "end"):
        try:
            return local_datetime(datetime.fromisoformat(value), tz, locale)
        except (TypeError, ValueError):
            return str(value)
    if key == "state":
        return translate(STATE_LABELS.get(value, value))
    if key == "agent":
        return names.agent_by_slug.get(value, value)
    if key == "contacted":
        return translate(YES if value else NO)
    if key == "outcome":
        return translate(OUTCOME_LABELS.get(value, value))
    if key == "reason" and value in REASON_LABELS:
        return translate(REASON_LABELS[value])
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "—"
    return str(value)


def describe(request, change, tz, names):
    """One history line in plain words: when, who, what, and each value before → after."""
    translate = request.localizer.translate
    what = ACTIONS.get((change.subject, change.action))
    before, after = change.before or {}, change.after or {}
    if what is not None and change.subject == "step":
        what = _(what, default=what.default, mapping={"number": after.get("number", "")})
    details = []
    for key in list(dict.fromkeys(list(before) + list(after))):
        if (change.subject, key) in (("cancellation_request", "state"), ("step", "number")):
            continue  # the action already says it
        if key not in before and after.get(key) in (None, "") or (key == "flagged" and not after.get(key)):
            continue  # nothing worth a line: no override, no appointment caught
        label = DETAIL_LABELS.get(key)
        if change.subject == "unavailability" and key == "start":
            label = _("detail_from", default="From")
        details.append({
            "label": translate(label) if label is not None else key,
            "before": readable(request, key, before[key], tz, names) if key in before else None,
            "after": readable(request, key, after[key], tz, names) if key in after else None,
        })
    scope = None
    if change.subject == "unavailability":
        if change.agent_id:
            scope = translate(_("scope_agent", default="Agent ${name}",
                                mapping={"name": names.agent_by_id.get(change.agent_id, "?")}))
        elif change.zone_id:
            scope = translate(_("scope_zone", default="Zone ${name}",
                                mapping={"name": names.zone_by_id.get(change.zone_id, "?")}))
        else:
            scope = translate(_("scope_client", default="The whole client"))
    elif change.subject == "step" and change.campaign_id:
        scope = names.campaign_by_id.get(change.campaign_id)
    elif change.subject == "agent" and change.agent_id:
        scope = names.agent_by_id.get(change.agent_id)
    actor = change.actor
    return {
        "at": local_datetime(change.at, tz, request.locale_name),
        "who": (actor.name or actor.email) if actor is not None else translate(_("who_system", default="System")),
        "what": translate(what) if what is not None else f"{change.subject} {change.action}",
        "subject": change.subject,
        "action": change.action,
        "appointment": change.appointment_number,
        "scope": scope,
        "details": details,
    }


def history_of(request, scope, client, limit):
    names = Names(request.dbsession, client.id)
    return [describe(request, change, client.timezone, names)
            for change in recent_changes(request.dbsession, scope, limit=limit)]
