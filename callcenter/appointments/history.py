"""The history of changes in plain words: when, who, what, and each value before and after."""
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, literal, or_, select, union_all

from agents.models import Agent, Zone
from campaigns.models import Campaign
from portal.history import recent_changes
from portal.i18n import _
from portal.layout import local_datetime
from callcenter.appointments.labels import ACTIONS, DETAIL_LABELS, NO, OUTCOME_LABELS, REASON_LABELS, STATE_LABELS, YES


class Names:
    """The names of the agents, zones and campaigns that history lines and unavailabilities name, for their
    readable words: only those, in one query (a client may have a thousand agents)."""

    @classmethod
    def empty(cls):
        """To be filled by a query that joins the names already (a folder home's panels)."""
        names = cls.__new__(cls)
        names.agent_by_slug, names.agent_by_id, names.zone_by_id, names.campaign_by_id = {}, {}, {}, {}
        return names

    def __init__(self, dbsession, client_id, changes=(), unavailabilities=()):
        agent_slugs, agent_ids, zone_ids, campaign_ids = set(), set(), set(), set()
        for change in changes:
            for values in (change.before, change.after):
                if values and isinstance(values.get("agent"), str):
                    agent_slugs.add(values["agent"])
            agent_ids.add(change.agent_id)
            zone_ids.add(change.zone_id)
            campaign_ids.add(change.campaign_id)
        for row in unavailabilities:
            agent_ids.add(row.agent_id)
            zone_ids.add(row.zone_id)
        agent_ids.discard(None), zone_ids.discard(None), campaign_ids.discard(None)
        self.agent_by_slug, self.agent_by_id, self.zone_by_id, self.campaign_by_id = {}, {}, {}, {}
        if not (agent_slugs or agent_ids or zone_ids or campaign_ids):
            return
        rows = dbsession.execute(names_statement(), {
            "client_id": client_id, "agent_slugs": sorted(agent_slugs), "agent_ids": sorted(agent_ids),
            "zone_ids": sorted(zone_ids), "campaign_ids": sorted(campaign_ids)})
        for kind, row_id, slug, name in rows:
            if kind == "agent":
                self.agent_by_slug[slug], self.agent_by_id[row_id] = name, name
            elif kind == "zone":
                self.zone_by_id[row_id] = name
            else:
                self.campaign_by_id[row_id] = name


@cache
def names_statement():
    """Built once per process: the names of the agents (by id or slug), zones and campaigns asked for."""
    agents, zones, campaigns = Agent.__table__.c, Zone.__table__.c, Campaign.__table__.c
    client_id = bindparam("client_id")
    return union_all(
        select(literal("agent"), agents.id, agents.slug, agents.name).where(
            agents.client_id == client_id, or_(agents.slug.in_(bindparam("agent_slugs", expanding=True)),
                                               agents.id.in_(bindparam("agent_ids", expanding=True)))),
        select(literal("zone"), zones.id, zones.slug, zones.name).where(
            zones.client_id == client_id, zones.id.in_(bindparam("zone_ids", expanding=True))),
        select(literal("campaign"), campaigns.id, campaigns.slug, campaigns.name).where(
            campaigns.client_id == client_id, campaigns.id.in_(bindparam("campaign_ids", expanding=True))),
    )


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
    changes = recent_changes(request.dbsession, scope, limit=limit)
    names = Names(request.dbsession, client.id, changes)
    return [describe(request, change, client.timezone, names) for change in changes]
