"""SQL statements per request, recorded (README "Performance"): a regression guard, not a timing.

Each case sends one request and fails when it issues more statements than RECORDED says, on SQLite and on
PostgreSQL alike, whatever the number of rows the request touches (an N+1 shows as soon as a page holds
more than one row). A change that saves statements lowers its number here; one that needs more says why
in the same commit. To add a case (a booking, a folder home): build its data, then
``counted(connection, "name", lambda: testapp.get(...))`` with a new RECORDED entry.
"""
from datetime import timedelta

import pytest

from callcenter.appointments.models import Appointment
from tests.conftest import NOW
from tests.factories import Tenant, make_agent, make_campaign, make_token, make_zone
from tests.functional.conftest import login
from tests.helpers import assert_statements

RECORDED = {
    # The client folder found by traversal, the token's user, the page of appointments with the slugs and
    # names of their agents, zones and campaigns; on PostgreSQL, before it, the SET LOCAL that has it
    # planned once per connection (``services.plan_once``).
    "list API": 4,
    # The same through the browser (the signed-in user instead of the token's), and the choices of its
    # filters: the client's agents, zones and campaigns.
    "list page": 7,
    # The client and the campaign with its fields found by traversal, the token's user, the agent with its
    # zones and schedule, the client's zones (routing), the calendar (exceptions, closed days and
    # unavailabilities in one statement), the quota's UPDATE, the agent's lock, the overlaps and holds, the
    # number, the appointment, its folder counters and its history, and the webhook endpoints that hear the
    # client (none here: nothing more is written).
    "booking": 14,
    # With the operator's hold: the hold read, then ended in the appointment's flush.
    "booking with its hold": 16,
}
# --- The appointments list (API and page) ------------------------------------------------------


def counted(connection, case, send):
    """Send one request, fail past its RECORDED statements; its response."""
    return assert_statements(connection, RECORDED, case, send)[0]


@pytest.fixture
def tenant(dbsession):
    return Tenant(dbsession)


def fill_list(dbsession, tenant, rows):
    """``rows`` appointments of ``tenant``, each with its own agent, zone and campaign (an N+1 on any of the
    three would add statements per row)."""
    for index in range(rows):
        zone = make_zone(dbsession, tenant.client)
        agent = make_agent(dbsession, tenant.client, zones=[zone], schedule=[])
        campaign = make_campaign(dbsession, tenant.client, purchased=0)
        start = NOW + timedelta(days=2, hours=index)
        dbsession.add(Appointment(
            client_id=tenant.client.id, number=index + 1, campaign_id=campaign.id, agent_id=agent.id,
            zone_id=zone.id, start_at=start, end_at=start + timedelta(hours=1), busy_until=start + timedelta(hours=1),
            state="to_confirm", prospect_name=f"Bar {index}", prospect_phone="+39 02 1234567",
            prospect_postal_code="20121", notes="", fields={"floor": index}))
    dbsession.flush()


@pytest.mark.parametrize("rows", [1, 50])
def test_list_api_statements_do_not_grow_with_the_rows(testapp, dbsession, connection, tenant, rows):
    fill_list(dbsession, tenant, rows)
    headers = {"Authorization": "Bearer " + make_token(dbsession, tenant.client_user)}
    url = f"/api/v1/clients/{tenant.client.slug}/appointments"
    first = counted(connection, "list API", lambda: testapp.get(url, params={"per_page": 50},
                                                                          headers=headers))
    assert len(first.json["items"]) == rows
    assert len({item["agent"] for item in first.json["items"]}) == rows


def test_list_api_statements_of_a_page_by_its_cursor(testapp, dbsession, connection, tenant):
    fill_list(dbsession, tenant, 50)
    headers = {"Authorization": "Bearer " + make_token(dbsession, tenant.client_user)}
    url = f"/api/v1/clients/{tenant.client.slug}/appointments"
    first = testapp.get(url, params={"per_page": 20}, headers=headers).json
    second = counted(connection, "list API", lambda: testapp.get(first["next"], headers=headers))
    assert [item["number"] for item in second.json["items"]] == list(range(30, 10, -1))


@pytest.mark.parametrize("rows", [1, 50])
def test_list_page_statements_do_not_grow_with_the_rows(testapp, dbsession, connection, tenant, rows):
    fill_list(dbsession, tenant, rows)
    login(testapp, tenant.client_user)
    page = counted(connection, "list page", lambda: testapp.get(
        f"/clients/{tenant.client.slug}/appointments", params={"per_page": 50}))
    assert len(page.html.select("tr[data-number]")) == rows


# --- The booking ------------------------------------------------------------------------------------


def crowd_the_calendar(dbsession, tenant, extra):
    """``extra`` more of everything a booking reads: campaign fields, zones, the agent's zones, other
    operators' appointments and holds on other days (none of which may add statements)."""
    from campaigns.models import CampaignField

    for index in range(extra):
        dbsession.add(CampaignField(campaign_id=tenant.campaign.id, name=f"extra{index}", label=f"Extra {index}",
                                    kind="text", required=False, choices=[], position=index + 1))
        tenant.agent.zones.append(make_zone(dbsession, tenant.client, postal_codes=[f"3{index:04d}"]))
    dbsession.flush()


@pytest.mark.parametrize("extra", [0, 5])
def test_booking_statements_do_not_grow_with_what_it_reads(testapp, dbsession, connection, tenant, extra):
    crowd_the_calendar(dbsession, tenant, extra)
    headers = {"Authorization": "Bearer " + make_token(dbsession, tenant.operator)}
    url = f"/api/v1/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}/appointments"
    body = {"agent": tenant.agent.slug, "start": "2026-11-26T10:00:00+01:00",
            "prospect": {"name": "Bar Centrale", "phone": "06 5556789", "postal_code": "20121"}}
    answer = counted(connection, "booking", lambda: testapp.post_json(url, body, headers=headers))
    assert answer.status_int == 201


def test_booking_with_its_hold_statements(testapp, dbsession, connection, tenant):
    headers = {"Authorization": "Bearer " + make_token(dbsession, tenant.operator)}
    url = f"/api/v1/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}"
    start = "2026-11-26T10:00:00+01:00"
    hold = testapp.post_json(url + "/holds", {"agent": tenant.agent.slug, "start": start}, headers=headers).json
    body = {"agent": tenant.agent.slug, "start": start, "hold": hold["id"],
            "prospect": {"name": "Bar Centrale", "phone": "06 5556789", "postal_code": "20121"}}
    answer = counted(connection, "booking with its hold", lambda: testapp.post_json(
        url + "/appointments", body, headers=headers))
    assert answer.status_int == 201


def test_a_whole_list_is_planned_once_per_connection_on_postgresql(testapp, dbsession, connection, tenant, backend):
    """``services.plan_once``: the list's statement gets PostgreSQL's generic plan (planned once per
    connection) for the rest of its transaction; SQLite has no plan cache and is sent nothing."""
    from sqlalchemy import text

    fill_list(dbsession, tenant, 3)
    headers = {"Authorization": "Bearer " + make_token(dbsession, tenant.client_user)}
    _answer, statements = assert_statements(connection, {"list": 4}, "list", lambda: testapp.get(
        f"/api/v1/clients/{tenant.client.slug}/appointments", headers=headers))
    if backend == "postgresql":  # the test's own transaction holds the request's SET LOCAL
        assert connection.execute(text("SHOW plan_cache_mode")).scalar_one() == "force_generic_plan"
        assert statements == 4
    else:
        assert statements == 3
