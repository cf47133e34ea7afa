"""The folder home's panels name what their lines concern, from one query each: the agents of a
reassignment, the agent or zone of an unavailability, the campaign of a step."""
from datetime import timedelta

from agents.models import Unavailability
from callcenter.appointments.models import Appointment
from portal.history import record
from tests.conftest import NOW
from tests.factories import Tenant, make_agent, make_token


def test_history_and_unavailabilities_name_agents_zones_and_campaigns(testapp, dbsession):
    tenant = Tenant(dbsession)
    colleague = make_agent(dbsession, tenant.client, zones=[tenant.zone], name="Carla Colleghi")
    start = NOW + timedelta(days=2)
    appointment = Appointment(client_id=tenant.client.id, number=1, campaign_id=tenant.campaign.id,
                              agent_id=colleague.id, zone_id=tenant.zone.id, start_at=start,
                              end_at=start + timedelta(hours=1), busy_until=start + timedelta(hours=1),
                              state="to_confirm", prospect_name="Bar", prospect_phone="+39 02 1234567",
                              prospect_postal_code="20121", notes="", fields={})
    dbsession.add(appointment)
    dbsession.flush()
    record(dbsession, client_id=tenant.client.id, subject="appointment", action="postponed",
           before={"agent": tenant.agent.slug}, after={"agent": colleague.slug}, actor=tenant.operator, at=NOW,
           appointment=appointment)
    record(dbsession, client_id=tenant.client.id, subject="step", action="step_added", after={"number": 2},
           actor=None, at=NOW, campaign_id=tenant.campaign.id)
    for agent, zone in ((colleague, None), (None, tenant.other_zone)):
        dbsession.add(Unavailability(client_id=tenant.client.id, agent_id=agent.id if agent else None,
                                     zone_id=zone.id if zone else None, start_at=NOW + timedelta(days=9),
                                     end_at=NOW + timedelta(days=10), reason="Ferie"))
    dbsession.flush()
    headers = {"Authorization": "Bearer " + make_token(dbsession, tenant.client_user)}

    page = testapp.get(f"/clients/{tenant.client.slug}/", headers=headers).html
    moved = page.select_one('.change[data-action="postponed"]')
    assert moved.select_one(".change-before").text.strip() == tenant.agent.name
    assert moved.select_one(".change-after").text.strip() == "Carla Colleghi"
    assert tenant.campaign.name in page.select_one('.change[data-subject="step"]').text
    scopes = [item.select_one(".small").text for item in page.select("#unavailability-list .unavailability")]
    assert any("Carla Colleghi" in scope for scope in scopes)
    assert any(tenant.other_zone.name in scope for scope in scopes)
