"""Schedule pages (spec §5 rule 9): the agent's week and dated changes on the folder, editing them,
and the client's closed days."""
from datetime import date, time

import pytest
from sqlalchemy import select

from agents.models import ClosedDay, ScheduleException
from agents.services import add_closed_day, add_schedule_exception
from tests.factories import Tenant
from tests.functional.conftest import login


def folder_url(tenant, agent=None):
    return f"/clients/{tenant.client.slug}/agents/{(agent or tenant.agent).slug}/"


def grid_starts(testapp, tenant, week="2026-W48"):
    page = testapp.get(f"/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}/book",
                       params={"postal_code": "20121", "week": week})
    return [button["value"] for button in page.html.select(f'[data-agent="{tenant.agent.slug}"] button.slot-free')]


def weekly(page):
    return {row.th.text.strip(): row.td.text.strip() for row in page.html.select("#weekly-schedule tr")}


def schedule_of(dbsession, agent):
    dbsession.expire_all()
    return [(i.weekday, i.start_time, i.end_time) for i in agent.schedule]


# --- The agent's folder shows the schedule -------------------------------------------------------------


@pytest.mark.parametrize("role", ["client", "zone_manager", "agent", "operator", "account_manager"])
def test_the_agent_folder_shows_the_week_and_the_changes_ahead(testapp, dbsession, tenant, role):
    add_schedule_exception(dbsession, tenant.agent, day=date(2026, 11, 27), kind="closure", reason="Fiera")
    add_schedule_exception(dbsession, tenant.agent, day=date(2026, 11, 28), kind="opening", start=time(9),
                           end=time(12))
    add_schedule_exception(dbsession, tenant.agent, day=date(2026, 11, 2), kind="closure", reason="Passata")
    login(testapp, tenant.user(role))
    page = testapp.get(folder_url(tenant))
    week = weekly(page)
    assert week["Lunedì"] == "09:00–18:00"  # Italian day names: the browser asks for Italian
    assert "09:00" not in week["Domenica"]
    kinds = [row["data-kind"] for row in page.html.select("#exceptions tbody tr[data-kind]")]
    assert kinds == ["closure", "opening"]  # from today on, in order
    assert "Fiera" in page.html.select_one("#exceptions").text
    assert "Passata" not in page.text
    links = page.html.select('a[href$="edit-schedule"], a[href$="add-exception"]')
    assert bool(links) == (role == "account_manager")


def test_other_folders_have_no_schedule_panel(testapp, tenant):
    login(testapp, tenant.client_user)
    assert testapp.get(f"/clients/{tenant.client.slug}/").html.select_one("#schedule") is None


# --- Editing the weekly schedule ------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [("client", 403), ("zone_manager", 403), ("agent", 403),
                                              ("operator", 403), ("account_manager", 200), ("admin", 200)])
def test_only_who_manages_the_client_edits_the_schedule(testapp, tenant, role, status):
    login(testapp, tenant.user(role))
    testapp.get(folder_url(tenant) + "edit-schedule", status=status)
    testapp.get(folder_url(tenant) + "add-exception", status=status)


def test_the_schedule_form_replaces_the_week(testapp, dbsession, tenant):
    login(testapp, tenant.account_manager)
    form = testapp.get(folder_url(tenant) + "edit-schedule").forms["schedule-form"]
    assert form["start-0-0"].value == "09:00" and form["end-0-0"].value == "18:00"
    for weekday in range(5):
        form[f"start-{weekday}-0"], form[f"end-{weekday}-0"] = "", ""
    form["start-0-0"], form["end-0-0"] = "09:00", "13:00"
    form["start-0-1"], form["end-0-1"] = "14:00", "18:00"
    form["start-2-0"], form["end-2-0"] = "10:00", "12:00"
    response = form.submit(status=302)
    assert response.location.rstrip("/") == "http://localhost" + folder_url(tenant).rstrip("/")
    assert schedule_of(dbsession, tenant.agent) == [(0, time(9), time(13)), (0, time(14), time(18)),
                                                    (2, time(10), time(12))]
    page = response.follow()
    assert page.html.select_one(".alert-success") is not None
    assert weekly(page)["Lunedì"] == "09:00–13:00, 14:00–18:00"
    starts = grid_starts(testapp, tenant)
    assert starts == ["2026-11-25T10:00:00+01:00", "2026-11-25T10:30:00+01:00", "2026-11-25T11:00:00+01:00"]


@pytest.mark.parametrize(("start", "end"), [("18:00", "09:00"), ("09:00", ""), ("9am", "10am")],
                         ids=["end_before_start", "half_a_row", "not_a_time"])
def test_a_bad_interval_is_shown_beside_it_and_nothing_changes(testapp, dbsession, tenant, start, end):
    before = schedule_of(dbsession, tenant.agent)
    login(testapp, tenant.account_manager)
    form = testapp.get(folder_url(tenant) + "edit-schedule").forms["schedule-form"]
    form["start-1-1"], form["end-1-1"] = start, end
    page = form.submit(status=400)
    row = page.html.select_one('tr[data-weekday="1"]')
    assert row.select_one(".interval-error") is not None
    assert page.html.select_one("#schedule-error") is not None
    assert page.forms["schedule-form"]["start-1-1"].value == start  # kept as typed
    assert schedule_of(dbsession, tenant.agent) == before


# --- Dated openings and closures ----------------------------------------------------------------------


def test_a_whole_day_closure_empties_that_day_of_the_grid(testapp, dbsession, tenant):
    login(testapp, tenant.account_manager)
    form = testapp.get(folder_url(tenant) + "add-exception").forms["deform"]
    form["day"] = "2026-11-26"
    form["reason"] = "Corso di formazione"
    page = form.submit(status=302).follow()
    assert "Corso di formazione" in page.html.select_one("#exceptions").text
    exception = dbsession.execute(select(ScheduleException)).scalar_one()
    assert (exception.day, exception.kind, exception.start_time) == (date(2026, 11, 26), "closure", None)
    assert not any(start.startswith("2026-11-26") for start in grid_starts(testapp, tenant))


def test_an_extra_opening_on_saturday_offers_its_slots(testapp, dbsession, tenant):
    login(testapp, tenant.account_manager)
    form = testapp.get(folder_url(tenant) + "add-exception").forms["deform"]
    form["day"] = "2026-11-28"
    form[form.html.select_one(".item-kind input[type=radio]")["name"]] = "opening"
    form["start"], form["end"] = "09:00", "11:00"
    form.submit(status=302)
    saturday = [start for start in grid_starts(testapp, tenant) if start.startswith("2026-11-28")]
    assert saturday == ["2026-11-28T09:00:00+01:00", "2026-11-28T09:30:00+01:00", "2026-11-28T10:00:00+01:00"]


@pytest.mark.parametrize(("kind", "start", "end", "field"), [
    ("opening", "", "", "start"),  # an opening needs its hours
    ("closure", "14:00", "", "end"),  # both times or neither
    ("closure", "14:00", "13:00", "end"),  # ends before it starts
])
def test_a_bad_exception_is_refused_beside_its_field(testapp, dbsession, tenant, kind, start, end, field):
    login(testapp, tenant.account_manager)
    form = testapp.get(folder_url(tenant) + "add-exception").forms["deform"]
    form["day"] = "2026-11-26"
    form[form.html.select_one(".item-kind input[type=radio]")["name"]] = kind
    form["start"], form["end"] = start, end
    page = form.submit(status=400)
    assert page.html.select_one(f"#deform .item-{field} .invalid-feedback") is not None
    assert dbsession.execute(select(ScheduleException)).first() is None


def test_a_client_user_cannot_post_an_exception(testapp, dbsession, tenant):
    login(testapp, tenant.client_user)
    token = testapp.get("/password").forms[0]["csrf_token"].value
    testapp.post(folder_url(tenant) + "add-exception", {"csrf_token": token, "day": "2026-11-26",
                                                        "kind": "closure"}, status=403)
    assert dbsession.execute(select(ScheduleException)).first() is None


# --- The client's closed days ----------------------------------------------------------------------------


def closed_days_url(tenant):
    return f"/clients/{tenant.client.slug}/closed-days"


def test_closed_days_are_added_for_the_client_a_zone_or_an_agent(testapp, dbsession, tenant):
    login(testapp, tenant.account_manager)
    for day, scope, reason in (("2026-11-27", "client", "Ponte"), ("2026-11-30", f"zone:{tenant.zone.slug}", "Fiera"),
                               ("2026-12-01", f"agent:{tenant.other_agent.slug}", "")):
        form = testapp.get(closed_days_url(tenant)).forms["deform"]
        form["day"], form["scope"], form["reason"] = day, scope, reason
        form.submit(status=302)
    page = testapp.get(closed_days_url(tenant))
    assert [row["data-scope"] for row in page.html.select("#closed-days tbody tr[data-scope]")] == [
        "client", "zone", "agent"]
    rows = dbsession.execute(select(ClosedDay).order_by(ClosedDay.day)).scalars().all()
    assert [(row.zone_id, row.agent_id) for row in rows] == [(None, None), (tenant.zone.id, None),
                                                             (None, tenant.other_agent.id)]
    assert not any(start.startswith("2026-11-27") for start in grid_starts(testapp, tenant))
    folder = testapp.get(folder_url(tenant))  # the agent's folder lists the days that close him/her
    assert len(folder.html.select("#agent-closed-days li")) == 2


def test_a_closed_day_needs_a_date(testapp, dbsession, tenant):
    login(testapp, tenant.account_manager)
    form = testapp.get(closed_days_url(tenant)).forms["deform"]
    form["day"] = "next friday"
    page = form.submit(status=400)
    assert page.html.select_one("#deform .item-day .invalid-feedback") is not None
    assert dbsession.execute(select(ClosedDay)).first() is None


def test_client_users_see_the_closed_days_but_cannot_add_them(testapp, dbsession, tenant):
    login(testapp, tenant.client_user)
    page = testapp.get(closed_days_url(tenant))
    assert page.html.select_one("#deform") is None
    token = page.html.select_one("input[name=csrf_token]")["value"]
    testapp.post(closed_days_url(tenant), {"csrf_token": token, "day": "2026-11-27", "scope": "client"}, status=403)
    assert dbsession.execute(select(ClosedDay)).first() is None


def test_an_agent_does_not_see_the_clients_closed_days_page(testapp, tenant):
    login(testapp, tenant.agent_user)
    testapp.get(closed_days_url(tenant), status=403)


# --- Removing what was entered by mistake ----------------------------------------------------------------


def test_a_closed_day_entered_by_mistake_is_removed_and_the_day_opens_again(testapp, dbsession, tenant):
    add_closed_day(dbsession, tenant.client, day=date(2026, 11, 27), reason="Sbaglio")
    login(testapp, tenant.account_manager)
    assert not any(start.startswith("2026-11-27") for start in grid_starts(testapp, tenant))
    page = testapp.get(closed_days_url(tenant))
    assert len(page.html.select("#closed-days form.remove-form")) == 1
    form = [f for f in page.forms.values() if f.action.endswith("remove-closed-day")][0]
    form.submit(status=302).follow()
    assert dbsession.execute(select(ClosedDay)).first() is None
    assert any(start.startswith("2026-11-27") for start in grid_starts(testapp, tenant))


def test_an_opening_or_closure_is_removed_from_its_page(testapp, dbsession, tenant):
    add_schedule_exception(dbsession, tenant.agent, day=date(2026, 11, 26), kind="closure", reason="Sbaglio")
    login(testapp, tenant.account_manager)
    page = testapp.get(folder_url(tenant) + "add-exception")
    form = [f for f in page.forms.values() if f.action.endswith("remove-exception")][0]
    assert "rimoss" in form.submit(status=302).follow().text.lower()
    assert dbsession.execute(select(ScheduleException)).first() is None


def test_only_who_manages_removes_and_only_the_clients_own_rows(testapp, dbsession, tenant, api):
    closed = add_closed_day(dbsession, tenant.client, day=date(2026, 11, 27))
    exception = add_schedule_exception(dbsession, tenant.agent, day=date(2026, 11, 26), kind="closure")
    other = Tenant(dbsession)
    path = f"/clients/{tenant.client.slug}/closed-days/{closed.id}"
    api(tenant.client_user).delete(path, status=403)
    api(other.account_manager).delete(path, status=403)
    # the other client's account manager names this client's rows under his own client: not found
    api(other.account_manager).delete(f"/clients/{other.client.slug}/closed-days/{closed.id}", status=404)
    api(other.account_manager).delete(
        f"/clients/{other.client.slug}/agents/{other.agent.slug}/exceptions/{exception.id}", status=404)
    for wrong in ("x", "99999999999", f"{closed.id}/more"):
        api(tenant.account_manager).delete(f"/clients/{tenant.client.slug}/closed-days/{wrong}", status=404)
    api(tenant.account_manager).delete(path)
    api(tenant.account_manager).delete(path, status=404)  # already gone
    login(testapp, tenant.client_user)
    token = testapp.get("/password").forms[0]["csrf_token"].value
    testapp.post(folder_url(tenant) + "remove-exception", {"csrf_token": token, "id": exception.id}, status=403)
    assert dbsession.execute(select(ScheduleException)).first() is not None
