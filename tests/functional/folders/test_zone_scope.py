"""A zone manager in the folder of an agent shared with another zone sees only his/her zone's part."""
from datetime import datetime, timezone

import pytest

from callcenter.booking.services import book_appointment
from tests.conftest import NOW
from tests.factories import Tenant, make_agent, make_token
from tests.functional.conftest import login

MILANO = {"name": "Bar Milano", "phone": "+39 02 1234567", "postal_code": "20121"}
TORINO = {"name": "Bar Torino", "phone": "+39 011 1234567", "postal_code": "10121"}


@pytest.fixture
def shared(dbsession):
    tenant = Tenant(dbsession)
    agent = make_agent(dbsession, tenant.client, zones=[tenant.zone, tenant.other_zone], slug="shared")
    for hour, prospect in ((9, MILANO), (11, TORINO), (14, TORINO)):
        book_appointment(dbsession, campaign=tenant.campaign, agent=agent, prospect=prospect, now=NOW,
                         start=datetime(2026, 11, 26, hour, 0, tzinfo=timezone.utc), booked_by=tenant.operator)
    return tenant


def folder(tenant):
    return f"/clients/{tenant.client.slug}/agents/shared"


def test_the_zone_manager_sees_the_shared_agents_appointments_of_the_zone_only(testapp, dbsession, shared):
    headers = {"Authorization": f"Bearer {make_token(dbsession, shared.zone_manager)}"}
    counts = testapp.get(f"/api/v1{folder(shared)}", headers=headers).json
    assert (counts["taken"], counts["to_confirm"]) == (1, 1)
    items = testapp.get(f"/api/v1{folder(shared)}/appointments", headers=headers).json["items"]
    assert [item["prospect"]["name"] for item in items] == ["Bar Milano"]
    changes = testapp.get(f"/api/v1{folder(shared)}/changes", headers=headers).json["items"]
    assert len(changes) == 1


@pytest.mark.parametrize("role, expected", [("client", 3), ("account_manager", 3), ("admin", 3)])
def test_the_client_and_staff_see_the_whole_agent(testapp, dbsession, shared, role, expected):
    headers = {"Authorization": f"Bearer {make_token(dbsession, shared.user(role))}"}
    assert testapp.get(f"/api/v1{folder(shared)}", headers=headers).json["taken"] == expected


def test_the_folder_page_of_the_zone_manager_lists_the_zones_part(testapp, shared):
    login(testapp, shared.zone_manager)
    page = testapp.get(folder(shared))
    assert "Bar Milano" in page.text and "Bar Torino" not in page.text
