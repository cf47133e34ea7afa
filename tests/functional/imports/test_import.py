"""Importing appointments through the API and the campaign's page: who may, and all rows or none."""
from datetime import datetime
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from callcenter.appointments.models import Appointment
from tests.factories import Tenant, make_token
from tests.functional.conftest import login

PROSPECT = {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}


@pytest.fixture
def tenant(dbsession):
    return Tenant(dbsession, purchased=3)


def path(tenant):
    return f"/api/v1/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}/appointments/import"


def rows(tenant, *days, state="confirmed"):
    return [{"agent": tenant.agent.slug, "start": f"2026-10-{day:02d}T10:00:00+02:00", "state": state,
             "prospect": PROSPECT} for day in days]


def appointments(dbsession, tenant):
    return dbsession.execute(select(func.count()).select_from(Appointment)
                             .where(Appointment.client_id == tenant.client.id)).scalar_one()


def test_account_manager_imports_and_the_counts_follow(testapp, dbsession, tenant):
    headers = {"Authorization": f"Bearer {make_token(dbsession, tenant.account_manager)}"}
    answer = testapp.post_json(path(tenant), {"rows": rows(tenant, 5, 6)}, headers=headers, status=201).json
    assert answer["imported"] == 2
    assert [a["start"] for a in answer["appointments"]] == ["2026-10-05T10:00:00+02:00", "2026-10-06T10:00:00+02:00"]
    folder = testapp.get(f"/api/v1/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}",
                         headers=headers).json
    assert (folder["taken"], folder["to_confirm"]) == (2, 0)


@pytest.mark.parametrize("role", ["client", "zone_manager", "agent", "operator"])
def test_other_roles_may_not_import(testapp, dbsession, tenant, role):
    headers = {"Authorization": f"Bearer {make_token(dbsession, tenant.user(role))}"}
    answer = testapp.post_json(path(tenant), {"rows": rows(tenant, 5)}, headers=headers, status="4*")
    assert answer.status_int in (403, 404)
    assert appointments(dbsession, tenant) == 0


def test_another_tenants_account_manager_may_not_import(testapp, dbsession, tenant):
    other = Tenant(dbsession)
    headers = {"Authorization": f"Bearer {make_token(dbsession, other.account_manager)}"}
    testapp.post_json(path(tenant), {"rows": rows(tenant, 5)}, headers=headers, status=403)


def test_one_bad_row_writes_nothing(testapp, dbsession, tenant):
    headers = {"Authorization": f"Bearer {make_token(dbsession, tenant.admin)}"}
    body = {"rows": rows(tenant, 5, 6, 7, 8)}  # 3 purchased: the fourth row is one too many
    error = testapp.post_json(path(tenant), body, headers=headers, status=409).json["error"]
    assert (error["code"], error["field"]) == ("quota_exhausted", "rows.3.campaign")
    assert error["message"].startswith("Riga 4: ")
    assert appointments(dbsession, tenant) == 0
    error = testapp.post_json(path(tenant), {"rows": rows(tenant, 5), "mode": "x"}, headers=headers,
                              status=400).json["error"]
    assert error["field"] == "mode"
    error = testapp.post_json(path(tenant), {"rows": [{**rows(tenant, 5)[0], "state": "lost"}]},
                              headers={**headers, "Accept-Language": "en"}, status=400).json["error"]
    assert (error["field"], error["message"][:7]) == ("rows.0.state", "Row 1: ")


def spreadsheet(*lines):
    workbook = Workbook()
    for line in lines:
        workbook.active.append(line)
    stream = BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def test_the_page_imports_a_file_and_refuses_a_bad_one_whole(testapp, dbsession, tenant):
    login(testapp, tenant.account_manager)
    folder = testapp.get(f"/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}")
    page = folder.click(linkid="import-link")
    template = page.click(linkid="import-template")
    header = [cell.value for cell in next(load_workbook(BytesIO(template.body)).active.iter_rows(max_row=1))]
    assert header[:3] == ["Agente", "Inizio", "Stato"]
    bad = spreadsheet(header, [tenant.agent.slug, datetime(2026, 10, 5, 10), "confermato", "Bar", "+39 02 111111",
                               "20121"],
                      [tenant.agent.slug, "yesterday", "confermato", "Bar", "+39 02 111111", "20121"])
    form = page.forms["import-form"]
    form["file"] = ("storico.xlsx", bad)
    refused = form.submit(status=400)
    assert "Riga 3, colonna \"Inizio\"" in refused.html.select_one("#import-error").text
    assert appointments(dbsession, tenant) == 0
    good = spreadsheet(header, [tenant.agent.slug, datetime(2026, 10, 5, 10), "confermato", "Bar", "+39 02 111111",
                                "20121"])
    form = refused.forms["import-form"]
    form["file"] = ("storico.xlsx", good)
    done = form.submit().follow()
    assert "1 appuntamenti importati" in done.text
    assert appointments(dbsession, tenant) == 1


def test_the_import_link_is_only_for_those_who_may_import(testapp, dbsession, tenant):
    login(testapp, tenant.client_user)
    folder = testapp.get(f"/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}")
    assert "import-link" not in folder.text
    testapp.get(f"/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}/appointments/import", status=403)
