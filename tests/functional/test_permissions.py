"""Who sees what: every role against every page of its own tenant and of another one (spec §3, §4, §10).

The expected answers are written out as tables; each cell is one test, for
the pages (session login) and for the JSON twin under /api/v1 (Bearer token).
"""
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from callcenter.booking.services import book_appointment
from tests.conftest import NOW
from tests.factories import Tenant
from tests.functional.conftest import login

ROLES = ("client", "zone_manager", "agent", "operator", "account_manager", "admin")

# The own tenant. "agent" is the agent of the zone managed by the zone manager;
# "other_agent" works in "other_zone". Appointment 1 is the agent's, 2 the other agent's.
OWN_TENANT = """
page                      client  zone_manager  agent  operator  account_manager  admin
client_folder             200     403           403    200       200              200
campaign_folder           200     403           403    200       200              200
zone_folder               200     200           403    200       200              200
zone_appointments         200     200           403    200       200              200
other_zone_folder         200     403           403    200       200              200
agent_folder              200     200           200    200       200              200
agent_appointments        200     200           200    200       200              200
other_agent_folder        200     403           403    200       200              200
agent_appointment         200     200           200    200       200              200
other_agent_appointment   200     403           403    200       200              200
client_appointments       200     403           403    200       200              200
callcenter                403     403           403    200       200              200
clients                   403     403           403    200       200              200
book                      403     403           403    200       200              200
"""

# Another tenant's folders, seen by the users of the first one (whose account
# manager does not own the other client).
OTHER_TENANT = """
page                      client  zone_manager  agent  operator  account_manager  admin
client_folder             403     403           403    200       403              200
campaign_folder           403     403           403    200       403              200
zone_folder               403     403           403    200       403              200
agent_folder              403     403           403    200       403              200
agent_appointment         403     403           403    200       403              200
client_appointments       403     403           403    200       403              200
book                      403     403           403    200       403              200
"""

# Pages that have a JSON twin under /api/v1.
API_PAGES = {
    "client_folder", "campaign_folder", "zone_folder", "zone_appointments", "other_zone_folder", "agent_folder",
    "agent_appointments", "other_agent_folder", "agent_appointment", "other_agent_appointment",
    "client_appointments", "clients",
}


def parse_table(table):
    """[(page, role, status)] from one of the tables above."""
    header, *rows = [line.split() for line in table.strip().splitlines()]
    assert tuple(header[1:]) == ROLES
    return [(row[0], role, int(status)) for row in rows for role, status in zip(ROLES, row[1:])]


def cell_id(cell):
    page, role, status = cell
    return f"{page}-{role}-{status}"


def paths(tenant):
    """Where each page of a tenant lives (appointment 1 is the agent's, 2 the other agent's)."""
    client = f"/clients/{tenant.client.slug}"
    campaign = f"{client}/campaigns/{tenant.campaign.slug}"
    return {
        "client_folder": f"{client}/",
        "campaign_folder": f"{campaign}/",
        "zone_folder": f"{client}/zones/{tenant.zone.slug}/",
        "zone_appointments": f"{client}/zones/{tenant.zone.slug}/appointments",
        "other_zone_folder": f"{client}/zones/{tenant.other_zone.slug}/",
        "agent_folder": f"{client}/agents/{tenant.agent.slug}/",
        "agent_appointments": f"{client}/agents/{tenant.agent.slug}/appointments",
        "other_agent_folder": f"{client}/agents/{tenant.other_agent.slug}/",
        "agent_appointment": f"{client}/appointments/1/",
        "other_agent_appointment": f"{client}/appointments/2/",
        "client_appointments": f"{client}/appointments/",
        "callcenter": "/callcenter/",
        "clients": "/clients/",
        "book": f"{campaign}/book",
    }


def with_appointments(dbsession, tenant):
    """Appointment 1 for the agent (in the managed zone), 2 for the other agent (in the other zone)."""
    start = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
    for agent, postal_code in ((tenant.agent, "20121"), (tenant.other_agent, "10121")):
        book_appointment(dbsession, campaign=tenant.campaign, agent=agent, start=start,
                         prospect={"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": postal_code},
                         booked_by=tenant.operator, now=NOW)
    return tenant


@pytest.fixture
def own(dbsession, tenant):
    return with_appointments(dbsession, tenant)


@pytest.fixture
def other(dbsession):
    return with_appointments(dbsession, Tenant(dbsession))


# --- Pages -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", parse_table(OWN_TENANT), ids=cell_id)
def test_page_of_the_own_tenant(testapp, own, cell):
    page, role, status = cell
    login(testapp, own.user(role))
    testapp.get(paths(own)[page], status=status)


@pytest.mark.parametrize("cell", parse_table(OTHER_TENANT), ids=cell_id)
def test_page_of_another_tenant(testapp, own, other, cell):
    page, role, status = cell
    login(testapp, own.user(role))
    testapp.get(paths(other)[page], status=status)


@pytest.mark.parametrize("page", sorted({page for page, _, _ in parse_table(OWN_TENANT)}))
def test_anonymous_visitor_of_a_page_is_sent_to_login(testapp, own, page):
    path = paths(own)[page]
    redirect = testapp.get(path, status=302)
    location = urlsplit(redirect.location)
    assert location.path == "/login"
    assert parse_qs(location.query)["came_from"] == ["http://localhost" + path]


# --- The same through the API ----------------------------------------------------------------------


def api_cells(table):
    return [cell for cell in parse_table(table) if cell[0] in API_PAGES]


def expect_api(client, path, status):
    response = client.get(path, status=status)
    if status == 403:
        assert response.json["error"]["code"] == "forbidden"
    elif status == 404:
        assert response.json["error"]["code"] == "not_found"
    else:
        assert "error" not in response.json


@pytest.mark.parametrize("cell", api_cells(OWN_TENANT), ids=cell_id)
def test_api_of_the_own_tenant(api, own, cell):
    page, role, status = cell
    expect_api(api(own.user(role)), paths(own)[page], status)


@pytest.mark.parametrize("cell", api_cells(OTHER_TENANT), ids=cell_id)
def test_api_of_another_tenant(api, own, other, cell):
    page, role, status = cell
    expect_api(api(own.user(role)), paths(other)[page], status)


@pytest.mark.parametrize("page", sorted(API_PAGES))
def test_anonymous_api_call_is_401(testapp, own, page):
    response = testapp.get("/api/v1" + paths(own)[page], status=401)
    assert response.json["error"]["code"] == "unauthenticated"


def test_unknown_folder_is_404_for_the_api(api, own):
    response = api(own.operator).get(f"/clients/{own.client.slug}/zones/no-such-zone", status=404)
    assert response.json["error"]["code"] == "not_found"
