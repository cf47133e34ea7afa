"""The report pages and their API: the same numbers, only what the user may see, bad input refused."""
import io

import pytest
from openpyxl import load_workbook

from campaigns.services import add_campaign_field
from tests.callcenter.reports.fixtures import Folder
from tests.factories import Tenant
from tests.functional.conftest import login


@pytest.fixture
def folder(dbsession):
    return Folder(dbsession)


def paths(tenant):
    client = f"/clients/{tenant.client.slug}"
    return {
        "client": client,
        "campaign": f"{client}/campaigns/{tenant.campaign.slug}",
        "zone": f"{client}/zones/{tenant.zone.slug}",
        "other_zone": f"{client}/zones/{tenant.other_zone.slug}",
        "agent": f"{client}/agents/{tenant.agent.slug}",
    }


def test_the_totals_page_shows_the_counts_and_links_back(testapp, folder):
    tenant = folder.tenant
    login(testapp, tenant.client_user)
    home = testapp.get(paths(tenant)["client"] + "/")
    assert home.html.select_one("#reports a")["href"].endswith("/totals")
    page = testapp.get(paths(tenant)["client"] + "/totals")
    by_state = page.html.select_one("#totals-by-state tbody tr")
    assert [cell.text for cell in by_state.select("td")] == ["3", "2", "2", "5", "7"]
    assert page.html.select_one('[data-count="recovered"]').text == "1"
    months = [row["data-row"] for row in page.html.select("#totals-by-month tbody tr")]
    assert months == ["2026-11", "2026-12", "2027-04"]
    assert page.html.select_one('link[href*="reports.css"]') is not None
    assert "Totale appuntamenti" in page.text


def test_the_page_and_the_api_give_the_same_numbers(testapp, folder, api):
    tenant = folder.tenant
    answer = api(tenant.client_user).get(paths(tenant)["client"] + "/totals", **{"from": "2026-12-01"}).json
    assert (answer["total"], answer["cancelled"], answer["recovered"]) == (5, 2, 1)
    assert answer["filters"] == {"from": "2026-12-01"}
    login(testapp, tenant.client_user)
    page = testapp.get(paths(tenant)["client"] + "/totals", params={"from": "2026-12-01"})
    assert page.html.select_one('#totals-by-state [data-count="total"]').text == "5"


def test_a_zone_manager_sees_only_the_zone(testapp, folder, api):
    tenant = folder.tenant
    client = api(tenant.zone_manager)
    assert client.get(paths(tenant)["zone"] + "/totals").json["total"] == 4
    client.get(paths(tenant)["other_zone"] + "/totals", status=403)
    client.get(paths(tenant)["client"] + "/totals", status=403)
    client.get(paths(tenant)["campaign"] + "/totals", status=403)


@pytest.mark.parametrize("role, status", [("client", 200), ("zone_manager", 403), ("agent", 403),
                                          ("operator", 200), ("account_manager", 200), ("admin", 200)])
def test_client_totals_by_role(folder, api, role, status):
    api(folder.tenant.user(role)).get(paths(folder.tenant)["client"] + "/totals", status=status)


@pytest.mark.parametrize("role, status", [("client", 403), ("zone_manager", 403), ("agent", 403),
                                          ("operator", 200), ("account_manager", 403), ("admin", 200)])
def test_another_tenants_totals(dbsession, folder, api, role, status):
    other = Tenant(dbsession)
    api(folder.tenant.user(role)).get(paths(other)["client"] + "/totals", status=status)


def test_the_agent_sees_his_own_folders_totals(folder, api):
    tenant = folder.tenant
    assert api(tenant.agent_user).get(paths(tenant)["agent"] + "/totals").json["total"] == 4


@pytest.mark.parametrize("query, field", [
    ({"from": "2026-12-31", "to": "2026-12-01"}, "to"),
    ({"from": "1026-12-01"}, "from"),
    ({"to": "2126-12-01"}, "to"),
    ({"from": "2000-01-01", "to": "2099-01-01"}, "to"),
    ({"from": "yesterday"}, "from"),
    ({"colour": "red"}, "colour"),
    ({"state": "lost"}, "state"),
    ({"agent": "nobody"}, "agent"),
    ({"zone": "atlantis"}, "zone"),
    ({"campaign": "none"}, "campaign"),
])
def test_bad_filters_are_refused_with_the_field(folder, api, testapp, query, field):
    tenant = folder.tenant
    for name in ("totals", "statistics"):
        error = api(tenant.account_manager).get(paths(tenant)["client"] + "/" + name, status=400, **query).json
        assert error["error"]["code"] == "validation_error" and error["error"]["field"] == field
    login(testapp, tenant.client_user)
    page = testapp.get(paths(tenant)["client"] + "/totals", params=query, status=400)
    assert "validation_error" in page.text or page.status_int == 400


def test_the_refusal_is_in_italian_and_english(folder, api, testapp):
    tenant = folder.tenant
    client = api(tenant.client_user)
    query = {"from": "2026-12-31", "to": "2026-12-01"}
    italian = client.get(paths(tenant)["client"] + "/totals", status=400, **query).json["error"]["message"]
    english = client.get(paths(tenant)["client"] + "/totals", status=400, _LOCALE_="en", **query).json
    assert english["error"]["message"] == "The end date is before the start date."
    assert italian != english["error"]["message"]


# --- Statistics ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role, status, operators", [
    ("client", 200, False), ("zone_manager", 403, False), ("agent", 403, False), ("operator", 403, False),
    ("account_manager", 200, True), ("admin", 200, True)])
def test_statistics_by_role_and_operators_only_for_the_call_center_managers(folder, api, role, status, operators):
    answer = api(folder.tenant.user(role)).get(paths(folder.tenant)["client"] + "/statistics", status=status)
    if status == 200:
        assert answer.json["overall"]["booked"] == 7
        assert ("by_operator" in answer.json) is operators


def test_a_zone_manager_has_the_statistics_of_the_zone(folder, api):
    answer = api(folder.tenant.zone_manager).get(paths(folder.tenant)["zone"] + "/statistics").json
    assert (answer["overall"]["booked"], answer["overall"]["no_show_rate"]) == (4, 0.5)


def test_the_statistics_page(testapp, folder):
    tenant = folder.tenant
    login(testapp, tenant.account_manager)
    page = testapp.get(paths(tenant)["client"] + "/statistics")
    overall = page.html.select_one("#statistics-overall tbody tr")
    assert overall.select_one('[data-count="booked"]').text == "7"
    assert overall.select_one('[data-rate="confirmation"]').text.replace("\xa0", " ") == "40,0%"  # Italian decimals (Babel)
    operators = {row["data-row"]: row.select_one('[data-count="bookings"]').text
                 for row in page.html.select("#statistics-by-operator tbody tr")}
    assert operators == {tenant.operator.email: "6", folder.second_operator.email: "1"}


# --- A small export downloads at once ------------------------------------------------------------


def test_a_small_export_downloads_at_once_with_the_pages_numbers(testapp, folder):
    tenant = folder.tenant
    login(testapp, tenant.client_user)
    page = testapp.get(paths(tenant)["client"] + "/totals", params={"from": "2026-12-01"})
    response = page.forms["export-form"].submit()
    assert response.content_type.startswith("application/vnd.openxmlformats")
    assert 'filename="appuntamenti-' in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.body))
    appointments, totals_sheet = workbook.worksheets
    rows = list(appointments.iter_rows(values_only=True))
    assert len(rows) == 1 + 5 and rows[0][0] == "Numero"
    assert appointments.freeze_panes == "A2"
    totals_rows = list(totals_sheet.iter_rows(values_only=True))
    assert totals_rows[1][1:] == (2, 1, 2, 3, 5)


def test_control_characters_excel_refuses_are_dropped_from_the_export(testapp, folder, dbsession):
    """A field's label or a prospect's notes may hold a control character (the API accepts them as
    text); Excel refuses them in a cell, which would fail the whole export."""
    tenant = folder.tenant
    add_campaign_field(dbsession, tenant.campaign, name="bell", label="Squillo\x07", kind="text")
    folder.appointments[0].notes = "prima\x01riga"
    dbsession.flush()
    login(testapp, tenant.client_user)
    page = testapp.get(paths(tenant)["client"] + "/totals")
    response = page.forms["export-form"].submit()
    rows = list(load_workbook(io.BytesIO(response.body)).worksheets[0].iter_rows(values_only=True))
    assert rows[0][-1] == "Squillo"
    assert "primariga" in [value for row in rows for value in row]
