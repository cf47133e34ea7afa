"""Editing what account managers and admins manage (spec §3, §6): agents and clients after creation,
operators trusted with rule 9's out-of-schedule bookings, a campaign's alerts and recovery pace by API.

Each change: its success path (page and API, the same service), its refusals with nothing written,
its record in the change history, and who may make it.
"""
from argparse import Namespace
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from agents.models import Agent
from agents.services import set_out_of_schedule_permission, update_agent
from callcenter.booking.services import book_appointment
from callcenter.manage import create_user_command, out_of_schedule_command
from campaigns.models import Campaign, Client
from campaigns.services import update_client
from portal.errors import RuleViolation
from portal.history import Change
from portal.accounts.models import User
from tests.conftest import NOW
from tests.factories import PASSWORD, Tenant, make_user
from tests.functional.conftest import login
from tests.functional.booking.test_booking_api import THURSDAY_10, assert_error, book, rome, written
from tests.functional.test_manage_pages import fill


def client_path(tenant):
    return f"/clients/{tenant.client.slug}"


def agent_path(tenant, agent=None):
    return f"{client_path(tenant)}/agents/{(agent or tenant.agent).slug}"


def changes(dbsession, subject, **where):
    query = select(Change).where(Change.subject == subject, *[getattr(Change, k) == v for k, v in where.items()])
    return dbsession.execute(query.order_by(Change.id)).scalars().all()


def csrf(testapp):
    return testapp.get("/password").forms[0]["csrf_token"].value


# --- 1. Operators allowed to book out of schedule (rule 9) --------------------------------------------------


SATURDAY_10 = rome(2026, 11, 28, 10)  # the agents work Monday to Friday


def test_an_admin_allows_an_operator_out_of_schedule_and_withdraws_it_on_the_staff_page(
        testapp, dbsession, tenant, api):
    operator = api(tenant.operator)
    assert_error(book(operator, tenant, SATURDAY_10, out_of_schedule=True, status=403), 403, "forbidden",
                 "out_of_schedule")
    login(testapp, tenant.admin)
    page = testapp.get("/users")
    form = page.html.select_one(f'tr[data-user="{tenant.operator.email}"] form[data-out-of-schedule]')
    assert form["data-out-of-schedule"] == "0"
    assert not page.html.select(f'tr[data-user="{tenant.account_manager.email}"] form[data-out-of-schedule]')
    testapp.post("/users/out-of-schedule", {"csrf_token": csrf(testapp), "id": str(tenant.operator.id),
                                            "allowed": "1"}, status=302)
    dbsession.expire_all()
    assert dbsession.get(User, tenant.operator.id).may_book_out_of_schedule is True
    assert testapp.get("/users").html.select_one(f'tr[data-user="{tenant.operator.email}"] [data-trusted]')
    booked = book(operator, tenant, SATURDAY_10, out_of_schedule=True).json
    assert booked["out_of_schedule"] is True
    testapp.post("/users/out-of-schedule", {"csrf_token": csrf(testapp), "id": str(tenant.operator.id),
                                            "allowed": "0"}, status=302)
    dbsession.expire_all()
    assert dbsession.get(User, tenant.operator.id).may_book_out_of_schedule is False
    before = written(dbsession, tenant.campaign)
    assert_error(book(operator, tenant, rome(2026, 11, 28, 12), out_of_schedule=True, status=403), 403,
                 "forbidden", "out_of_schedule")
    assert written(dbsession, tenant.campaign) == before


def test_the_staff_page_creates_an_operator_allowed_out_of_schedule(testapp, dbsession, tenant):
    login(testapp, tenant.admin)
    form = fill(testapp.get("/users").forms["deform"], email="trusted@example.test", password=PASSWORD,
                role="operator")
    form["may_book_out_of_schedule"].checked = True
    form.submit(status=302)
    user = dbsession.execute(select(User).where(User.email == "trusted@example.test")).scalar_one()
    assert (user.role, user.may_book_out_of_schedule) == ("operator", True)


def test_only_an_operator_can_be_allowed_out_of_schedule(testapp, dbsession, tenant):
    login(testapp, tenant.admin)
    form = fill(testapp.get("/users").forms["deform"], email="am@example.test", password=PASSWORD,
                role="account_manager")
    form["may_book_out_of_schedule"].checked = True
    page = form.submit(status=400)
    assert page.html.select_one("#deform .alert-danger, #deform .invalid-feedback")
    assert not dbsession.execute(select(User).where(User.email == "am@example.test")).first()
    testapp.post("/users/out-of-schedule", {"csrf_token": csrf(testapp), "id": str(tenant.account_manager.id),
                                            "allowed": "1"}, status=400)
    testapp.post("/users/out-of-schedule", {"csrf_token": csrf(testapp), "id": str(tenant.client_user.id),
                                            "allowed": "1"}, status=404)
    with pytest.raises(RuleViolation) as refused:
        set_out_of_schedule_permission(tenant.agent_user, True)
    assert (refused.value.code, refused.value.field) == ("validation_error", "may_book_out_of_schedule")
    set_out_of_schedule_permission(tenant.account_manager, False)  # withdrawing from anyone is harmless


def test_the_api_creates_an_operator_allowed_out_of_schedule_admins_only(api, dbsession, tenant):
    body = {"email": "dialer@example.test", "password": PASSWORD, "role": "operator",
            "may_book_out_of_schedule": True}
    assert_error(api(tenant.account_manager).post("/users", body, status=403), 403, "forbidden", "role")
    assert_error(api(tenant.operator).post("/users", body, status=403), 403, "forbidden", None)
    created = api(tenant.admin).post("/users", body).json
    assert created["may_book_out_of_schedule"] is True
    plain = api(tenant.admin).post("/users", {**body, "email": "plain@example.test",
                                              "may_book_out_of_schedule": False}).json
    assert plain["may_book_out_of_schedule"] is False
    for wrong, field in [({"role": "admin"}, "may_book_out_of_schedule"),
                         ({"may_book_out_of_schedule": "yes"}, "may_book_out_of_schedule")]:
        assert_error(api(tenant.admin).post("/users", {**body, "email": "x@example.test", **wrong}, status=400),
                     400, "validation_error", field)
    client_login = {"email": "c@example.test", "password": PASSWORD, "role": "client", "client": tenant.client.slug,
                    "may_book_out_of_schedule": True}
    assert_error(api(tenant.account_manager).post("/users", client_login, status=400), 400, "validation_error",
                 "may_book_out_of_schedule")
    assert not dbsession.execute(select(User).where(User.email.in_(["x@example.test", "c@example.test"]))).first()


def test_the_command_line_creates_grants_and_withdraws(dbsession, tenant, capsys):
    request = SimpleNamespace(dbsession=dbsession)
    args = Namespace(email="night@example.test", role="operator", client=None, zone=[], agent=None, name="",
                     password=PASSWORD, may_book_out_of_schedule=True)
    assert create_user_command(request, args) == 0
    user = dbsession.execute(select(User).where(User.email == "night@example.test")).scalar_one()
    assert user.may_book_out_of_schedule is True
    assert out_of_schedule_command(request, Namespace(email="NIGHT@example.test", decision="withdraw")) == 0
    assert user.may_book_out_of_schedule is False
    assert out_of_schedule_command(request, Namespace(email=tenant.operator.email, decision="grant")) == 0
    assert tenant.operator.may_book_out_of_schedule is True
    assert out_of_schedule_command(request, Namespace(email="nobody@example.test", decision="grant")) == 2
    with pytest.raises(RuleViolation):
        out_of_schedule_command(request, Namespace(email=tenant.admin.email, decision="grant"))
    assert "may book out of schedule" in capsys.readouterr().out


# --- 2. Agents edited after creation -----------------------------------------------------------------------


def test_update_agent_changes_details_and_zones_and_records_what_changed(dbsession, tenant):
    update_agent(dbsession, tenant.agent, actor=tenant.admin, now=NOW, name="Mario Bianchi", phone="02 9",
                 email="", zones=[tenant.zone.slug, tenant.other_zone.slug])
    slug = tenant.agent.slug
    assert (tenant.agent.slug, tenant.agent.name, tenant.agent.phone) == (slug, "Mario Bianchi", "02 9")
    assert {zone.slug for zone in tenant.agent.zones} == {tenant.zone.slug, tenant.other_zone.slug}
    [change] = changes(dbsession, "agent", agent_id=tenant.agent.id)
    assert change.action == "updated" and set(change.after) == {"name", "phone", "zones"}
    update_agent(dbsession, tenant.agent, now=NOW, name="Mario Bianchi")  # nothing changes: nothing recorded
    assert len(changes(dbsession, "agent", agent_id=tenant.agent.id)) == 1


def test_an_agent_cannot_be_given_another_clients_zone(dbsession, tenant):
    other = Tenant(dbsession)
    with pytest.raises(RuleViolation) as refused:
        update_agent(dbsession, tenant.agent, now=NOW, zones=[other.zone.slug])
    assert (refused.value.code, refused.value.field) == ("validation_error", "zones")


def test_a_zone_taken_from_an_agent_keeps_his_booked_appointments_there(dbsession, tenant, api):
    appointment = book_appointment(
        dbsession, campaign=tenant.campaign, agent=tenant.agent, start=NOW.replace(day=26, hour=9),
        prospect={"name": "Rossi", "phone": "02 1", "postal_code": "20121"}, now=NOW, booked_by=tenant.operator)
    update_agent(dbsession, tenant.agent, now=NOW, zones=[tenant.other_zone.slug])
    assert (appointment.zone_id, appointment.agent_id, appointment.state) == (tenant.zone.id, tenant.agent.id,
                                                                               "to_confirm")
    slots = api(tenant.operator).get(f"{client_path(tenant)}/campaigns/{tenant.campaign.slug}/slots",
                                     postal_code="20121", week="2026-W49").json
    assert tenant.agent.slug not in {slot["agent"] for slot in slots["slots"]}


def test_the_agent_edit_page_is_linked_from_the_list_and_saves(testapp, dbsession, tenant):
    login(testapp, tenant.account_manager)
    page = testapp.get(client_path(tenant) + "/agents/").click(href=f"{tenant.agent.slug}/edit$")
    form = page.forms["deform"]
    assert form["name"].value == tenant.agent.name
    fill(form, name="Luigi Verdi", email="luigi@example.test", phone="333 1").submit(status=302)
    dbsession.expire_all()
    agent = dbsession.get(Agent, tenant.agent.id)
    assert (agent.name, agent.email, agent.phone, [zone.slug for zone in agent.zones]) == (
        "Luigi Verdi", "luigi@example.test", "333 1", [tenant.zone.slug])
    page = fill(testapp.get(agent_path(tenant) + "/edit").forms["deform"], name="", email="not an e-mail").submit(
        status=400)
    assert page.html.select_one("#deform .item-name .invalid-feedback")
    dbsession.expire_all()
    assert dbsession.get(Agent, tenant.agent.id).name == "Luigi Verdi"
    line = testapp.get(agent_path(tenant) + "/").html.select_one('.change[data-subject="agent"]')
    assert line["data-action"] == "updated" and "Luigi Verdi" in line.get_text()


def test_the_api_patches_an_agent(api, dbsession, tenant):
    manager = api(tenant.account_manager)
    patched = manager.testapp.patch_json(f"/api/v1{agent_path(tenant)}", {"phone": "06 1", "zones": []},
                                         headers=manager.headers).json
    assert (patched["slug"], patched["phone"], patched["zones"], patched["name"]) == (
        tenant.agent.slug, "06 1", [], tenant.agent.name)
    for body, field in [({"slug": "new"}, "slug"), ({"email": "nope"}, "email"), ({"zones": ["nowhere"]}, "zones"),
                        ({"name": ""}, "name"), ({"phone": "1" * 41}, "phone")]:
        refused = manager.testapp.patch_json(f"/api/v1{agent_path(tenant)}", body, headers=manager.headers,
                                             status=400)
        assert_error(refused, 400, "validation_error", field)
    dbsession.expire_all()
    assert dbsession.get(Agent, tenant.agent.id).phone == "06 1"


@pytest.mark.parametrize("role,status", [("client", 403), ("zone_manager", 403), ("agent", 403), ("operator", 403),
                                         ("other_account_manager", 403), ("other_tenant", 403),
                                         ("account_manager", 200), ("admin", 200)])
def test_who_may_edit_an_agent(testapp, api, dbsession, tenant, role, status):
    if role == "other_account_manager":
        user = make_user(dbsession, "account_manager")
    elif role == "other_tenant":
        user = Tenant(dbsession).client_user
    else:
        user = tenant.user(role)
    client = api(user)
    client.testapp.patch_json(f"/api/v1{agent_path(tenant)}", {"name": "Changed"}, headers=client.headers,
                              status=status)
    login(testapp, user)
    testapp.get(agent_path(tenant) + "/edit", status=status)
    dbsession.expire_all()
    assert (dbsession.get(Agent, tenant.agent.id).name == "Changed") == (status == 200)


def test_an_agent_of_another_client_is_not_found_under_this_one(api, dbsession, tenant):
    other = Tenant(dbsession, slug="other-client")
    manager = api(tenant.account_manager)
    manager.testapp.patch_json(f"/api/v1{client_path(tenant)}/agents/{other.agent.slug}x", {"name": "X"},
                               headers=manager.headers, status=404)
    manager.testapp.patch_json(f"/api/v1{agent_path(other)}", {"name": "X"}, headers=manager.headers, status=403)


# --- 3. Clients edited after creation ----------------------------------------------------------------------


def test_update_client_records_what_changed(dbsession, tenant):
    other_manager = make_user(dbsession, "account_manager")
    update_client(dbsession, tenant.client, actor=tenant.admin, now=NOW, name="Acme Nord", timezone="Europe/London",
                  country="GB", account_manager=other_manager)
    [change] = changes(dbsession, "client", client_id=tenant.client.id)
    assert change.after == {"name": "Acme Nord", "timezone": "Europe/London", "country": "GB",
                            "account_manager": other_manager.email}
    assert change.before["account_manager"] == tenant.account_manager.email
    with pytest.raises(RuleViolation) as refused:
        update_client(dbsession, tenant.client, now=NOW, account_manager=tenant.operator)
    assert (refused.value.code, refused.value.field) == ("validation_error", "account_manager")


def test_a_new_time_zone_keeps_the_appointments_at_the_same_instant(api, dbsession, tenant):
    booked = book(api(tenant.operator), tenant, THURSDAY_10).json
    admin = api(tenant.admin)
    patched = admin.testapp.patch_json(f"/api/v1{client_path(tenant)}", {"timezone": "Europe/London"},
                                       headers=admin.headers).json
    assert (patched["timezone"], patched["taken"]) == ("Europe/London", 1)
    again = admin.get(f"{client_path(tenant)}/appointments/{booked['number']}").json
    assert again["start"] == "2026-11-26T09:00:00+00:00"  # 10:00 in Rome is 09:00 in London


def test_the_client_edit_page_warns_about_the_time_zone_and_saves(testapp, dbsession, tenant):
    login(testapp, tenant.account_manager)
    link = testapp.get(client_path(tenant) + "/").html.select_one("#manage #client-edit-link")["href"]
    page = testapp.get(link)
    assert page.html.select_one("#form-warning")
    form = page.forms["deform"]
    assert "account_manager" not in form.fields  # an account manager does not hand clients over
    fill(form, name="Acme Sud", timezone="Europe/Paris", country="fr").submit(status=302)
    dbsession.expire_all()
    client = dbsession.get(Client, tenant.client.id)
    assert (client.name, client.timezone, client.country, client.account_manager_id) == (
        "Acme Sud", "Europe/Paris", "FR", tenant.account_manager.id)
    fill(testapp.get(client_path(tenant) + "/edit").forms["deform"], country="Italy").submit(status=400)
    assert dbsession.get(Client, tenant.client.id).country == "FR"
    line = testapp.get(client_path(tenant) + "/").html.select_one('.change[data-subject="client"]')
    assert line["data-action"] == "updated" and "Europe/Paris" in line.get_text()


def test_an_admin_hands_a_client_to_another_account_manager_on_the_page(testapp, dbsession, tenant):
    other = make_user(dbsession, "account_manager")
    login(testapp, tenant.admin)
    form = testapp.get(client_path(tenant) + "/edit").forms["deform"]
    assert form["account_manager"].value == str(tenant.account_manager.id)
    fill(form, account_manager=str(other.id)).submit(status=302)
    dbsession.expire_all()
    assert dbsession.get(Client, tenant.client.id).account_manager_id == other.id


def test_the_api_patches_a_client(api, dbsession, tenant):
    other = make_user(dbsession, "account_manager")
    manager, admin = api(tenant.account_manager), api(tenant.admin)
    url = f"/api/v1{client_path(tenant)}"
    assert manager.testapp.patch_json(url, {"name": "Acme Est", "country": "FR",
                                            "account_manager": tenant.account_manager.email},
                                      headers=manager.headers).json["name"] == "Acme Est"
    for body in [{"account_manager": other.email}, {"account_manager": None}]:
        assert_error(manager.testapp.patch_json(url, body, headers=manager.headers, status=403), 403, "forbidden",
                     "account_manager")
    for body, field in [({"slug": "x"}, "slug"), ({"timezone": "Mars/Base"}, "timezone"), ({"country": "fr"},
                        "country"), ({"account_manager": tenant.operator.email}, "account_manager"),
                        ({"name": ""}, "name")]:
        assert_error(admin.testapp.patch_json(url, body, headers=admin.headers, status=400), 400,
                     "validation_error", field)
    admin.testapp.patch_json(url, {"account_manager": other.email}, headers=admin.headers)
    dbsession.expire_all()
    client = dbsession.get(Client, tenant.client.id)
    assert (client.name, client.country, client.account_manager_id) == ("Acme Est", "FR", other.id)
    admin.testapp.patch_json(url, {"account_manager": None}, headers=admin.headers)
    dbsession.expire_all()
    assert dbsession.get(Client, tenant.client.id).account_manager_id is None


@pytest.mark.parametrize("role,status", [("client", 403), ("zone_manager", 403), ("agent", 403), ("operator", 403),
                                         ("other_account_manager", 403), ("other_tenant", 403),
                                         ("account_manager", 200), ("admin", 200)])
def test_who_may_edit_a_client(testapp, api, dbsession, tenant, role, status):
    if role == "other_account_manager":
        user = make_user(dbsession, "account_manager")
    elif role == "other_tenant":
        user = Tenant(dbsession).client_user
    else:
        user = tenant.user(role)
    client = api(user)
    client.testapp.patch_json(f"/api/v1{client_path(tenant)}", {"name": "Changed"}, headers=client.headers,
                              status=status)
    login(testapp, user)
    testapp.get(client_path(tenant) + "/edit", status=status)
    dbsession.expire_all()
    assert (dbsession.get(Client, tenant.client.id).name == "Changed") == (status == 200)


def test_an_unknown_client_is_not_found(api, tenant):
    admin = api(tenant.admin)
    admin.testapp.patch_json("/api/v1/clients/nobody", {"name": "X"}, headers=admin.headers, status=404)


# --- 4. A campaign's quota alerts and recovery pace through the API ------------------------------------------


def campaign_api_url(tenant):
    return f"/api/v1{client_path(tenant)}/campaigns/{tenant.campaign.slug}"


def test_the_api_patch_sets_alert_thresholds_and_recoveries_per_day(api, dbsession, tenant):
    manager = api(tenant.account_manager)
    patched = manager.testapp.patch_json(campaign_api_url(tenant), {"alert_thresholds": [50, 75, 100],
                                                                    "recoveries_per_day": 5},
                                         headers=manager.headers).json
    assert (patched["alert_thresholds"], patched["recoveries_per_day"]) == ([50, 75, 100], 5)
    dbsession.expire_all()
    campaign = dbsession.get(Campaign, tenant.campaign.id)
    assert (campaign.alert_thresholds, campaign.recoveries_per_day) == ([50, 75, 100], 5)


@pytest.mark.parametrize("body,field", [
    ({"alert_thresholds": []}, "alert_thresholds"),
    ({"alert_thresholds": [90, 80]}, "alert_thresholds"),
    ({"alert_thresholds": [80, 80]}, "alert_thresholds"),
    ({"alert_thresholds": [0, 50]}, "alert_thresholds"),
    ({"alert_thresholds": [101]}, "alert_thresholds"),
    ({"alert_thresholds": ["80"]}, "alert_thresholds.0"),
    ({"alert_thresholds": 80}, "alert_thresholds"),
    ({"recoveries_per_day": 0}, "recoveries_per_day"),
    ({"recoveries_per_day": 1001}, "recoveries_per_day"),
    ({"recoveries_per_day": "2"}, "recoveries_per_day"),
])
def test_bad_alert_thresholds_or_recoveries_per_day_are_refused_by_the_api(api, dbsession, tenant, body, field):
    manager = api(tenant.account_manager)
    refused = manager.testapp.patch_json(campaign_api_url(tenant), {"name": "Renamed", **body},
                                         headers=manager.headers, status=400)
    assert_error(refused, 400, "validation_error", field)
    dbsession.expire_all()
    campaign = dbsession.get(Campaign, tenant.campaign.id)
    assert (campaign.name, campaign.alert_thresholds, campaign.recoveries_per_day) == (
        tenant.campaign.name, [80, 90, 100], 2)


@pytest.mark.parametrize("role", ["client", "zone_manager", "agent", "operator"])
def test_only_who_manages_the_campaign_sets_its_alerts(api, dbsession, tenant, role):
    client = api(tenant.user(role))
    client.testapp.patch_json(campaign_api_url(tenant), {"recoveries_per_day": 9}, headers=client.headers,
                              status=403)
    assert dbsession.get(Campaign, tenant.campaign.id).recoveries_per_day == 2
