"""/api/v1/callcenter: the campaigns open for booking, the released recoveries and the confirmation calls'
progress, for dialers (spec §4, §9; rules 3, 7, 11)."""
import pytest
from sqlalchemy import select

from callcenter.lifecycle.recoveries import release_for
from campaigns.models import Campaign
from tests.factories import Tenant, make_campaign
from tests.functional.lifecycle.test_lifecycle_api import ROLES, at, book, path_of

STAFF = ("operator", "account_manager", "admin")


def slugs(client, path="/callcenter"):
    return [(item["client"], item["slug"]) for item in client.get(path).json["items"]]


def released_recovery(api, tenant, dbsession, clock):
    """An appointment cancelled (request approved) and its recovery released to the operators."""
    appointment = book(api, tenant)
    request = path_of(tenant, appointment) + "/cancellation-request"
    api(tenant.client_user).post(request, {"reason": "wrong_target"})
    api(tenant.account_manager).post(request + "/approve", status=200)
    campaign = dbsession.execute(select(Campaign).where(Campaign.id == tenant.campaign.id)).scalar_one()
    release_for(dbsession, campaign, clock.now)
    dbsession.flush()
    return appointment


@pytest.mark.parametrize("role", ROLES)
def test_who_may_list_the_bookable_campaigns_and_the_recoveries(api, tenant, role):
    client = api(tenant.user(role))
    for path in ("/callcenter", "/callcenter/recoveries"):
        if role in STAFF:
            client.get(path)
        else:
            assert client.get(path, status=403).json["error"]["code"] == "forbidden"


def test_bookable_campaigns_leave_the_list_when_full_and_follow_the_portfolio(api, tenant, dbsession):
    other = Tenant(dbsession)
    full = make_campaign(dbsession, tenant.client, purchased=1, slug="small")
    ours, theirs = (tenant.client.slug, tenant.campaign.slug), (other.client.slug, other.campaign.slug)
    assert (tenant.client.slug, "small") in slugs(api(tenant.operator))
    api(tenant.operator).post(f"/clients/{tenant.client.slug}/campaigns/{full.slug}/appointments",
                              {"agent": tenant.agent.slug, "start": "2026-11-26T10:00:00+01:00",
                               "prospect": {"name": "Bar", "phone": "+39 02 1234567", "postal_code": "20121"}})
    listed = slugs(api(tenant.operator))
    assert ours in listed and theirs in listed and (tenant.client.slug, "small") not in listed
    assert slugs(api(tenant.account_manager)) == [ours]
    assert slugs(api(other.account_manager)) == [theirs]
    item = api(tenant.account_manager).get("/callcenter").json["items"][0]
    assert (item["purchased"], item["taken"], item["open_for_booking"]) == (10, 0, True)


def test_released_recoveries_carry_the_number_to_recover(api, tenant, dbsession, clock):
    other = Tenant(dbsession)
    assert api(tenant.operator).get("/callcenter/recoveries").json["items"] == []
    cancelled = released_recovery(api, tenant, dbsession, clock)
    items = api(tenant.operator).get("/callcenter/recoveries").json["items"]
    assert [(item["client"], item["campaign"], item["cancelled_appointment"], item["state"], item["cancel_reason"])
            for item in items] == [(tenant.client.slug, tenant.campaign.slug, cancelled["number"], "released",
                                    "wrong_target")]
    assert len(api(tenant.account_manager).get("/callcenter/recoveries").json["items"]) == 1
    assert api(other.account_manager).get("/callcenter/recoveries").json["items"] == []
    # Booked with ``recovers``: it leaves the worklist.
    book(api, tenant, start="2026-11-27T10:00:00+01:00", recovers=cancelled["number"])
    assert api(tenant.operator).get("/callcenter/recoveries").json["items"] == []


def test_the_confirmation_list_shows_each_calls_progress(api, tenant, clock):
    appointment = book(api, tenant)
    clock.now = at("2026-11-25T09:00:00+01:00")
    operator = api(tenant.operator)
    [item] = operator.get("/callcenter/confirmations").json["items"]
    assert item["call"] == {"state": "open", "attempts": 0, "outcome": None, "notes": "", "called_at": None}
    for notes in ("No answer", "Busy"):
        operator.post(path_of(tenant, appointment) + "/confirmation-call", {"result": "not_reached", "notes": notes},
                      status=200)
    [item] = operator.get("/callcenter/confirmations").json["items"]
    assert item["call"] == {"state": "not_reached", "attempts": 2, "outcome": None, "notes": "Busy",
                            "called_at": "2026-11-25T09:00:00+01:00"}
