"""SQL statements of a folder home, recorded (README "Performance"): a regression guard, not a timing.

One client, zone and agent folder home each, on SQLite and on PostgreSQL, with one agent and one
appointment, then with 50 agents, several zones and campaigns, many appointments, history lines,
unavailabilities, closed days and alerts: the count must not grow with what the folder holds (one
query per panel), and must stay at or under RECORDED. A change that saves statements lowers its
number here; one that needs more says why in the same commit.
"""
from datetime import time, timedelta

import pytest

from agents.models import Unavailability
from agents.services import add_closed_day, add_schedule_exception
from callcenter.appointments.counters import recount
from callcenter.appointments.models import Appointment
from campaigns.alerts import QuotaAlert
from portal.history import record
from tests.conftest import NOW
from tests.factories import (
    Tenant,
    make_agent,
    make_campaign,
    make_token,
    make_user,
    make_zone,
)
from tests.helpers import assert_statements

RECORDED = {
    # The client found by traversal, the token's user; the links below (campaigns with their counters,
    # which are also the boxes, zones, the first 50 agents), the history with its names, the
    # unavailabilities, the alerts, the upcoming appointments with their names.
    "client folder": 7,
    # The client and the zone found by traversal, the token's user; the zone's agents, the history, the
    # unavailabilities, the boxes (folder counters), the upcoming appointments.
    "zone folder": 8,
    # The client and the agent found by traversal, the token's user, the agent's zones (its ACL); the
    # history, the unavailabilities, the agent's day (today's and tomorrow's meetings), the boxes, the
    # upcoming appointments, the schedule (week, openings and closures, closed days).
    "agent folder": 10,
    # The same seen by a zone manager of one of the agent's zones: his/her zones (principals).
    "agent folder, zone manager": 11,
}
@pytest.fixture
def tenant(dbsession):
    return Tenant(dbsession)


def fill(dbsession, tenant, agents):
    """``agents`` agents of the tenant's zone (each also in a zone of its own), each with appointments of
    its own campaign (upcoming, past and cancelled), history lines naming it (booked, reassigned),
    an unavailability, a closed day and an opening; plus the tenant's own agent, quota alerts and steps.
    Any query per row would add statements."""
    made = []
    for index in range(agents):
        zone = make_zone(dbsession, tenant.client)
        agent = make_agent(dbsession, tenant.client, zones=[tenant.zone, zone], schedule=[])
        campaign = make_campaign(dbsession, tenant.client, purchased=0)
        made.append(agent)
        # Later today and tomorrow (the agent's day), then the coming days, a past one and a cancelled one.
        for offset, state in ((0, "to_confirm"), (1, "confirmed"), (2, "to_confirm"), (3, "confirmed"),
                              (-5, "confirmed"), (4, "cancelled")):
            start = NOW + timedelta(days=offset, hours=2 + index % 6)
            number = tenant.client.last_appointment_number = tenant.client.last_appointment_number + 1
            appointment = Appointment(
                client_id=tenant.client.id, number=number, campaign_id=campaign.id, agent_id=agent.id,
                zone_id=tenant.zone.id if index % 2 else zone.id, start_at=start, end_at=start + timedelta(hours=1),
                busy_until=start + timedelta(hours=1), state=state, prospect_name=f"Bar {index}",
                prospect_phone="+39 02 1234567", prospect_postal_code="20121", notes="", fields={})
            dbsession.add(appointment)
            dbsession.flush()
            record(dbsession, client_id=tenant.client.id, subject="appointment", action="postponed",
                   before={"agent": tenant.agent.slug}, after={"agent": agent.slug, "start": start.isoformat()},
                   actor=tenant.operator, at=NOW - timedelta(minutes=index), appointment=appointment)
        dbsession.add(Unavailability(client_id=tenant.client.id, agent_id=agent.id, start_at=NOW + timedelta(days=9),
                                     end_at=NOW + timedelta(days=10), reason="Ferie", declared_by_id=None))
        record(dbsession, client_id=tenant.client.id, subject="unavailability", action="declared",
               after={"start": NOW.isoformat()}, actor=None, at=NOW, agent_id=agent.id)
        add_closed_day(dbsession, tenant.client, day=(NOW + timedelta(days=20 + index)).date(), agent=agent)
        add_schedule_exception(dbsession, tenant.agent, day=(NOW + timedelta(days=30 + index)).date(),
                               kind="opening", start=time(9), end=time(12))
        dbsession.add(QuotaAlert(client_id=tenant.client.id, campaign_id=campaign.id, threshold=80, taken=8,
                                 purchased=10, created_at=NOW - timedelta(hours=index)))
    dbsession.add(Unavailability(client_id=tenant.client.id, zone_id=tenant.zone.id, start_at=NOW + timedelta(days=9),
                                 end_at=NOW + timedelta(days=10), reason="Fiera", declared_by_id=None))
    recount(dbsession, tenant.client.id)
    dbsession.flush()
    return made


@pytest.mark.parametrize("agents", [1, 50])
def test_folder_homes_issue_the_recorded_statements_whatever_they_hold(testapp, dbsession, connection, tenant,
                                                                       agents):
    made = fill(dbsession, tenant, agents)
    busiest = made[-1]
    client_headers = {"Authorization": "Bearer " + make_token(dbsession, tenant.client_user)}
    base = f"/clients/{tenant.client.slug}/"
    cases = [("client folder", base, client_headers),
             ("zone folder", f"{base}zones/{tenant.zone.slug}/", client_headers),
             ("agent folder", f"{base}agents/{busiest.slug}/", client_headers)]
    # A manager of one of the agent's two zones (and of another one): a scoped view of the agent.
    manager = make_user(dbsession, "zone_manager", client=tenant.client, zones=[tenant.zone, tenant.other_zone])
    cases.append(("agent folder, zone manager", f"{base}agents/{busiest.slug}/",
                  {"Authorization": "Bearer " + make_token(dbsession, manager)}))
    for case, url, headers in cases:
        page, _count = assert_statements(connection, RECORDED, case, lambda url=url, headers=headers: testapp.get(
            url, headers=headers))
        assert page.html.select_one('[data-count="taken"]') is not None
    # What the pages show is what they hold: 50 agents' links, the boxes of the zone.
    client_page = testapp.get(base, headers=client_headers)
    assert len(client_page.html.select("#agent-links li[data-agent]")) == min(agents + 2, 50)
    zone_page = testapp.get(f"{base}zones/{tenant.zone.slug}/", headers=client_headers)
    assert zone_page.html.select_one('[data-count="taken"]').text == str(5 * (agents // 2))  # the odd ones there
