"""One appointment's whole life through the API, as the people of spec §6 live it."""
from datetime import timedelta

from callcenter.lifecycle.recoveries import release_for
from tests.conftest import NOW

START = "2026-11-26T10:00:00+01:00"  # Thursday, inside the agents' 09-18 schedule
PROSPECT = {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}


def test_booked_confirmed_postponed_contacted_cancelled_and_recovered(api, tenant, clock, dbsession):
    client, campaign = tenant.client.slug, tenant.campaign.slug
    operator, agent, client_user = api(tenant.operator), api(tenant.agent_user), api(tenant.client_user)
    manager = api(tenant.account_manager)
    booked = operator.post(f"/clients/{client}/campaigns/{campaign}/appointments",
                           {"agent": tenant.agent.slug, "start": START, "prospect": PROSPECT}).json
    path = f"/clients/{client}/appointments/{booked['number']}"

    assert agent.post(path + "/confirm", status=200).json["state"] == "confirmed"
    moved = agent.post(path + "/postpone", {"start": "2026-11-26T15:00:00+01:00"}, status=200).json
    assert (moved["number"], moved["start"], moved["state"]) == (booked["number"], "2026-11-26T15:00:00+01:00",
                                                                  "confirmed")
    agent.post(path + "/contacted", status=200)

    clock.now = NOW + timedelta(days=4)  # Friday 27: the day after the meeting
    refused = client_user.post(path + "/cancellation-request", {"reason": "prospect_disowns"}, status=422)
    assert refused.json["error"]["code"] == "reason_not_allowed"
    client_user.post(path + "/cancellation-request", {"reason": "wrong_target", "notes": "Not a decision maker"})
    assert manager.post(path + "/cancellation-request/approve", {"notes": "ok"}, status=200).json["state"] == \
        "approved"

    counts = manager.get(f"/clients/{client}/campaigns/{campaign}").json
    assert (counts["taken"], counts["to_confirm"], counts["cancelled"]) == (0, 0, 1)
    actions = [change["action"] for change in manager.get(path + "/history").json["items"]]
    assert actions == ["approved", "cancelled", "requested", "contacted", "postponed", "confirmed", "booked"]

    clock.now = NOW
    release_for(dbsession, tenant.campaign, clock.now)  # the release job's work (rule 11)
    dbsession.flush()
    replacement = operator.post(f"/clients/{client}/campaigns/{campaign}/appointments",
                                {"agent": tenant.agent.slug, "start": "2026-11-30T10:00:00+01:00",
                                 "prospect": PROSPECT, "recovers": booked["number"]})
    assert replacement.status_int == 201
    assert manager.get(f"/clients/{client}/campaigns/{campaign}").json["recovered"] == 1
