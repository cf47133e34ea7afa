"""Rule 11 through the wizard and the API when the step is delivered: a released recovery holds a slot and
books into its kept place although the campaign is otherwise full. Rule 13 at booking: the agent must work
in the zone the prospect's postal code routes to (holds, API bookings and the pages)."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from callcenter.lifecycle import services as lifecycle
from callcenter.booking.services import book_appointment
from callcenter.appointments.models import Appointment, Recovery
from callcenter.booking.models import Hold
from callcenter.lifecycle.recoveries import release_recoveries
from campaigns.models import Campaign
from tests.conftest import NOW
from tests.factories import Tenant
from tests.functional.conftest import login

PROSPECT = {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}
MONDAY_30 = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)  # 09:00 in Rome
FRIDAY_27_10 = "2026-11-27T10:00:00+01:00"


class Clock:
    def __init__(self, now):
        self.now = now

    def clock(self):
        return self.now


@pytest.fixture
def delivered(dbsession):
    """The real state: 3 purchased, 3 booked, 2 cancellations approved, 1 recovery released.
    1 taken + 2 kept = 3 purchased: the step is delivered and the campaign closed to regular bookings."""
    tenant = Tenant(dbsession, purchased=3)
    booked = [book_appointment(dbsession, campaign=tenant.campaign, agent=tenant.agent,
                               start=MONDAY_30.replace(hour=8 + 2 * i), prospect=PROSPECT, booked_by=tenant.operator,
                               now=NOW) for i in range(3)]
    for appointment in booked[:2]:
        request = lifecycle.request_cancellation(dbsession, appointment, reason="wrong_target", notes="",
                                                 actor=tenant.client_user, now=NOW)
        lifecycle.decide_cancellation(dbsession, request, appointment, approve=True, notes="",
                                      actor=tenant.account_manager, now=NOW)
    tenant.campaign.recoveries_per_day = 1
    dbsession.flush()
    assert release_recoveries(dbsession, Clock(NOW)) == 1
    dbsession.flush()
    dbsession.refresh(tenant.campaign)
    assert not tenant.campaign.open_for_booking
    tenant.released, tenant.owed, tenant.active = booked[0], booked[1], booked[2]
    return tenant


def counters(dbsession, campaign):
    dbsession.expire_all()
    campaign = dbsession.get(Campaign, campaign.id)
    return campaign.taken, campaign.recoveries_pending, campaign.recovered


def campaign_url(tenant):
    return f"/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}"


def test_the_recovery_worklist_books_through_the_wizard_when_the_step_is_delivered(testapp, dbsession, delivered):
    login(testapp, delivered.operator)
    link = testapp.get("/callcenter/recoveries").html.select_one("tr.worklist-item a.book-recovery")["href"]
    form = testapp.get(link).forms["area-form"]
    form["postal_code"] = "20121"
    week = form.submit()
    step3 = week.forms[f"hold-{delivered.agent.slug}"].submit("start", value=FRIDAY_27_10, status=302).follow()
    form = step3.forms["deform"]
    assert form["recovers"].value == str(delivered.released.number)
    form["prospect_name"], form["prospect_phone"] = "Bar Nuovo", "+39 02 7654321"
    form.submit(status=302).follow()
    assert counters(dbsession, delivered.campaign) == (2, 1, 1)
    recovery = dbsession.execute(select(Recovery).where(Recovery.state == "booked")).scalar_one()
    assert recovery.cancelled_appointment_id == delivered.released.id


def test_a_regular_hold_on_the_delivered_campaign_is_still_quota_exhausted(testapp, dbsession, delivered):
    login(testapp, delivered.operator)
    week = testapp.get(campaign_url(delivered) + "/book", {"postal_code": "20121", "week": "2026-W48"})
    refused = week.forms[f"hold-{delivered.agent.slug}"].submit("start", value=FRIDAY_27_10, status=409)
    assert "ha esaurito gli appuntamenti acquistati" in refused.text
    assert dbsession.execute(select(func.count()).select_from(Hold)).scalar_one() == 0


def test_the_api_holds_and_books_a_released_recovery_of_a_delivered_campaign(api, dbsession, delivered):
    operator = api(delivered.operator)
    url = "/clients/{}/campaigns/{}".format(delivered.client.slug, delivered.campaign.slug)
    body = {"agent": delivered.agent.slug, "start": FRIDAY_27_10}
    refused = operator.post(url + "/holds", body, status=409).json
    assert (refused["error"]["code"], refused["error"]["field"]) == ("quota_exhausted", "campaign")
    for number in (delivered.owed.number, delivered.active.number, 99):
        refused = operator.post(url + "/holds", dict(body, recovers=number), status=400).json
        assert (refused["error"]["code"], refused["error"]["field"]) == ("validation_error", "recovers")
    held = operator.post(url + "/holds", dict(body, recovers=delivered.released.number, postal_code="20121")).json
    booked = operator.post(url + "/appointments", dict(body, hold=held["id"], prospect=PROSPECT,
                                                       recovers=delivered.released.number)).json
    assert booked["state"] == "to_confirm"
    assert counters(dbsession, delivered.campaign) == (2, 1, 1)


# --- Rule 13 ----------------------------------------------------------------------------------------


@pytest.fixture
def tenant(dbsession):
    return Tenant(dbsession, purchased=10)


def appointments_of(dbsession, tenant):
    return dbsession.execute(select(func.count()).select_from(Appointment)
                             .where(Appointment.client_id == tenant.client.id)).scalar_one()


@pytest.mark.parametrize("postal_code, field, message", [
    ("10121", "agent", " does not work in the zone of the prospect (Zone-"),
    ("99999", "prospect.postal_code", "No zone of this client covers this postal code"),
])
def test_the_api_refuses_an_agent_outside_the_prospects_zone(api, dbsession, tenant, postal_code, field, message):
    body = {"agent": tenant.agent.slug, "start": FRIDAY_27_10, "prospect": dict(PROSPECT, postal_code=postal_code)}
    operator = api(tenant.operator)
    refused = operator.testapp.post_json("/api/v1" + campaign_url(tenant) + "/appointments", body, status=400,
                                         headers={**operator.headers, "Accept-Language": "en"}).json
    assert (refused["error"]["code"], refused["error"]["field"]) == ("validation_error", field)
    assert message in refused["error"]["message"]
    assert appointments_of(dbsession, tenant) == 0


def test_the_api_refuses_a_hold_outside_the_zone_named(api, dbsession, tenant):
    url = campaign_url(tenant) + "/holds"
    operator = api(tenant.operator)
    for area in ({"postal_code": "10121"}, {"zone": tenant.other_zone.slug}):
        refused = operator.post(url, {"agent": tenant.agent.slug, "start": FRIDAY_27_10, **area}, status=400).json
        assert (refused["error"]["code"], refused["error"]["field"]) == ("validation_error", "agent")
    refused = operator.post(url, {"agent": tenant.agent.slug, "start": FRIDAY_27_10, "postal_code": "99999"},
                            status=400).json
    assert refused["error"]["field"] == "postal_code"  # as the slots API says it
    assert dbsession.execute(select(func.count()).select_from(Hold)).scalar_one() == 0
    operator.post(url, {"agent": tenant.agent.slug, "start": FRIDAY_27_10, "postal_code": "20121"})


def test_the_wizard_refuses_a_prospect_of_another_zone_at_booking_in_italian(testapp, dbsession, tenant):
    login(testapp, tenant.operator)
    week = testapp.get(campaign_url(tenant) + "/book", {"zone": tenant.zone.slug, "week": "2026-W48"})
    step3 = week.forms[f"hold-{tenant.agent.slug}"].submit("start", value=FRIDAY_27_10, status=302).follow()
    form = step3.forms["deform"]
    form["prospect_name"], form["prospect_phone"], form["prospect_postal_code"] = "Bar", "+39 02 7654321", "10121"
    refused = form.submit(status=400)
    assert "non lavora nella zona del potenziale cliente" in refused.text
    assert appointments_of(dbsession, tenant) == 0


def test_the_wizard_refuses_to_hold_an_agent_of_another_zone(testapp, dbsession, tenant):
    login(testapp, tenant.operator)
    week = testapp.get(campaign_url(tenant) + "/book", {"postal_code": "20121", "week": "2026-W48"})
    form = week.forms[f"hold-{tenant.agent.slug}"]
    form["agent"].force_value(tenant.other_agent.slug)  # a hand-made request: that agent is not on the grid
    refused = form.submit("start", value=FRIDAY_27_10, status=400)
    assert f"{tenant.other_agent.name} non lavora nella zona del potenziale cliente" in refused.text
    assert dbsession.execute(select(func.count()).select_from(Hold)).scalar_one() == 0
