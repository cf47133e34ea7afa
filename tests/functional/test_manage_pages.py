"""Management pages of account managers and admins (spec §6): clients, campaigns, fields, zones, agents, users.

Each form: its success path, its refusals beside their fields with nothing written, and who may use it.
"""
from datetime import time

import pytest
from sqlalchemy import func, select

from agents.models import Agent, Zone
from agents.routing import route_to_zone
from agents.services import DEFAULT_WEEK, set_agent_active, set_user_active
from campaigns.models import Campaign, CampaignField, Client
from campaigns.services import check_alert_thresholds
from portal.errors import RuleViolation
from portal.history import Change
from portal.accounts.models import ApiToken, User
from tests.conftest import NOW
from tests.factories import PASSWORD, Tenant, make_token, make_user
from tests.functional.conftest import login


@pytest.fixture
def tenant(dbsession):
    return Tenant(dbsession, purchased=10)


def client_url(tenant):
    return f"/clients/{tenant.client.slug}/"


def campaign_url(tenant):
    return f"{client_url(tenant)}campaigns/{tenant.campaign.slug}/"


def count(dbsession, model, *where):
    return dbsession.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def field_error(page, name):
    """The error deform shows beside the field ``name``, else None."""
    error = page.html.select_one(f"#deform .item-{name} .invalid-feedback")
    return error.get_text(" ", strip=True) if error else None


def check_first(form, name):
    """Tick the first checkbox of the field ``name`` (deform names each box "checkbox")."""
    box = form.html.select_one(f".item-{name} input[type=checkbox]")
    form.get(box["name"], index=0).checked = True
    return box["value"]


def fill(form, **values):
    for name, value in values.items():
        form[name] = value
    return form


# --- Rules ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("thresholds", [[80, 90, 100], [50], [1, 100]])
def test_alert_thresholds_are_ascending_percentages(thresholds):
    assert check_alert_thresholds(thresholds) == thresholds


@pytest.mark.parametrize("thresholds", [[], [90, 80], [80, 80], [0, 50], [50, 101], [True]])
def test_bad_alert_thresholds_are_refused(thresholds):
    with pytest.raises(RuleViolation) as refused:
        check_alert_thresholds(thresholds)
    assert (refused.value.code, refused.value.field) == ("validation_error", "alert_thresholds")


def test_the_default_week_is_monday_to_friday_nine_to_one_and_two_to_six():
    assert len(DEFAULT_WEEK) == 10 and {interval["weekday"] for interval in DEFAULT_WEEK} == set(range(5))
    assert {(interval["start"], interval["end"]) for interval in DEFAULT_WEEK} == {(time(9), time(13)),
                                                                                  (time(14), time(18))}


# --- New client ---------------------------------------------------------------------------------------------------


def test_an_account_manager_creates_a_client_in_his_portfolio(testapp, dbsession, tenant):
    login(testapp, tenant.account_manager)
    page = testapp.get("/clients/").click(href="/clients/add")
    form = page.forms["deform"]
    assert form["timezone"].value == "Europe/Rome" and form["country"].value == "IT"
    assert "account_manager" not in form.fields
    fill(form, slug="acme", name="Acme Serramenti", country="fr").submit(status=302).follow()
    client = dbsession.execute(select(Client).where(Client.slug == "acme")).scalar_one()
    assert (client.name, client.timezone, client.country, client.account_manager_id) == (
        "Acme Serramenti", "Europe/Rome", "FR", tenant.account_manager.id)


def test_an_admin_chooses_the_account_manager_or_none(testapp, dbsession, tenant):
    inactive = make_user(dbsession, "account_manager")
    inactive.active = False
    dbsession.flush()
    login(testapp, tenant.admin)
    form = testapp.get("/clients/add").forms["deform"]
    options = [value for value, _selected, _text in form["account_manager"].options]
    assert str(tenant.account_manager.id) in options and str(inactive.id) not in options and "" in options
    fill(form, slug="with-manager", name="With", account_manager=str(tenant.account_manager.id)).submit(status=302)
    form = testapp.get("/clients/add").forms["deform"]
    fill(form, slug="without-manager", name="Without", timezone="Europe/Paris").submit(status=302)
    managers = dict(dbsession.execute(select(Client.slug, Client.account_manager_id)
                                      .where(Client.slug.in_(["with-manager", "without-manager"]))).all())
    assert managers == {"with-manager": tenant.account_manager.id, "without-manager": None}


def test_a_client_slug_in_use_is_refused_beside_the_slug(testapp, dbsession, tenant):
    login(testapp, tenant.account_manager)
    before = count(dbsession, Client)
    page = fill(testapp.get("/clients/add").forms["deform"], slug=tenant.client.slug, name="Copy").submit(status=400)
    assert field_error(page, "slug") == "Questo nome è già in uso."
    page = fill(page.forms["deform"], slug="Bad Slug", name="", country="ITA").submit(status=400)
    assert field_error(page, "slug") and field_error(page, "name") and field_error(page, "country")
    assert count(dbsession, Client) == before


# --- New campaign and its settings ------------------------------------------------------------------------------


def test_the_account_manager_creates_a_campaign_from_the_client_folder(testapp, dbsession, tenant):
    login(testapp, tenant.account_manager)
    folder = testapp.get(client_url(tenant))
    form = folder.click(href="campaigns/add").forms["deform"]
    assert (form["appointment_minutes"].value, form["buffer_minutes"].value, form["cutoff_hours"].value) == (
        "60", "30", "36")
    page = fill(form, slug="spring", name="Spring 2027", appointment_minutes="45").submit(status=302)
    assert page.location.endswith(f"{client_url(tenant)}campaigns/spring/#steps")
    campaign = dbsession.execute(select(Campaign).where(Campaign.slug == "spring")).scalar_one()
    assert (campaign.client_id, campaign.appointment_minutes, campaign.purchased) == (tenant.client.id, 45, 0)


def test_a_campaign_with_a_slug_in_use_or_bad_numbers_is_not_created(testapp, dbsession, tenant):
    login(testapp, tenant.account_manager)
    before = count(dbsession, Campaign)
    form = testapp.get(client_url(tenant) + "campaigns/add").forms["deform"]
    page = fill(form, slug=tenant.campaign.slug, name="Copy").submit(status=400)
    assert field_error(page, "slug") == "Questo nome è già in uso."
    page = fill(page.forms["deform"], slug="new", name="New", appointment_minutes="5", buffer_minutes="x",
                cutoff_hours="1000").submit(status=400)
    assert all(field_error(page, name) for name in ("appointment_minutes", "buffer_minutes", "cutoff_hours"))
    assert count(dbsession, Campaign) == before


def test_the_campaign_settings_change_every_booking_setting(testapp, dbsession, tenant):
    login(testapp, tenant.account_manager)
    form = testapp.get(campaign_url(tenant)).click(href="/settings").forms["deform"]
    assert (form["name"].value, form["alert_thresholds"].value, form["reminder_hours"].value) == (
        "Campaign", "80, 90, 100", "")
    fill(form, name="Renamed", appointment_minutes="90", buffer_minutes="15", cutoff_hours="48", hold_minutes="7",
         alert_thresholds="50,75, 100", recoveries_per_day="4", reminder_hours="24").submit(status=302)
    dbsession.expire_all()
    campaign = dbsession.get(Campaign, tenant.campaign.id)
    assert (campaign.name, campaign.appointment_minutes, campaign.buffer_minutes, campaign.cutoff_hours,
            campaign.hold_minutes, campaign.alert_thresholds, campaign.recoveries_per_day,
            campaign.reminder_hours) == ("Renamed", 90, 15, 48, 7, [50, 75, 100], 4, 24)
    form = testapp.get(campaign_url(tenant) + "settings").forms["deform"]
    fill(form, reminder_hours="").submit(status=302)
    dbsession.expire_all()
    assert dbsession.get(Campaign, tenant.campaign.id).reminder_hours is None


@pytest.mark.parametrize("field, value", [
    ("alert_thresholds", "90, 80"), ("alert_thresholds", "80, 120"), ("alert_thresholds", "eighty"),
    ("alert_thresholds", ""), ("hold_minutes", "0"), ("reminder_hours", "500"), ("recoveries_per_day", "0"),
    ("appointment_minutes", "481"),
])
def test_bad_campaign_settings_are_refused_beside_their_field(testapp, dbsession, tenant, field, value):
    login(testapp, tenant.account_manager)
    form = testapp.get(campaign_url(tenant) + "settings").forms["deform"]
    page = fill(form, name="Not saved", **{field: value}).submit(status=400)
    assert field_error(page, field)
    dbsession.expire_all()
    campaign = dbsession.get(Campaign, tenant.campaign.id)
    assert (campaign.name, campaign.alert_thresholds) == ("Campaign", [80, 90, 100])


# --- Campaign fields ---------------------------------------------------------------------------------------------


def test_fields_are_listed_and_added(testapp, dbsession, tenant):
    login(testapp, tenant.account_manager)
    page = testapp.get(campaign_url(tenant)).click(href="/fields/")
    fill(page.forms["deform"], name="roof_type", label="Tipo di tetto", kind="choice", required=True,
         help_text="Chiedere al cliente", choices="Piano\n  Falda \n\nAltro").submit(status=302)
    fill(testapp.get(campaign_url(tenant) + "fields/").forms["deform"], name="surface", label="Superficie",
         kind="number").submit(status=302)
    fields = dbsession.execute(select(CampaignField).where(CampaignField.campaign_id == tenant.campaign.id)
                               .order_by(CampaignField.position)).scalars().all()
    assert [(f.name, f.kind, f.required, f.choices, f.position) for f in fields] == [
        ("roof_type", "choice", True, ["Piano", "Falda", "Altro"], 0), ("surface", "number", False, [], 1)]
    rows = testapp.get(campaign_url(tenant) + "fields/").html.select("#field-list tbody tr")
    assert [row["data-field"] for row in rows] == ["roof_type", "surface"]
    assert "Scelta" in rows[0].get_text(" ", strip=True)


def test_a_field_with_a_name_in_use_or_a_choice_without_choices_is_refused(testapp, dbsession, tenant):
    login(testapp, tenant.account_manager)
    fill(testapp.get(campaign_url(tenant) + "fields/").forms["deform"], name="roof", label="Roof",
         kind="text").submit(status=302)
    form = testapp.get(campaign_url(tenant) + "fields/").forms["deform"]
    page = fill(form, name="roof", label="Again", kind="text").submit(status=400)
    assert field_error(page, "name") == "Questo nome è già in uso."
    page = fill(page.forms["deform"], name="other", label="Other", kind="choice", choices="").submit(status=400)
    assert field_error(page, "choices")
    page = fill(page.forms["deform"], name="Bad Name", label="", kind="text").submit(status=400)
    assert field_error(page, "name") and field_error(page, "label")
    assert count(dbsession, CampaignField, CampaignField.campaign_id == tenant.campaign.id) == 1


# --- Zones ----------------------------------------------------------------------------------------------------


def test_a_zone_is_added_and_edited_and_routing_follows(testapp, dbsession, tenant):
    login(testapp, tenant.account_manager)
    page = testapp.get(client_url(tenant)).click(href=r"/zones/$", index=0)
    fill(page.forms["deform"], slug="bergamo", name="Bergamo", provinces="bg, BS",
         postal_codes="240\n24121, 25100").submit(status=302)
    zone = dbsession.execute(select(Zone).where(Zone.client_id == tenant.client.id, Zone.slug == "bergamo")).scalar_one()
    assert (zone.provinces, zone.postal_codes) == (["bg", "BS"], ["240", "24121", "25100"])
    zones = dbsession.execute(select(Zone).where(Zone.client_id == tenant.client.id)).scalars().all()
    assert route_to_zone(zones, postal_code="24050").slug == "bergamo"

    form = testapp.get(client_url(tenant) + "zones/bergamo/edit").forms["deform"]
    assert form["postal_codes"].value == "240, 24121, 25100"
    fill(form, name="Bergamo e Lecco", postal_codes="239", provinces="LC").submit(status=302)
    dbsession.expire_all()
    zones = dbsession.execute(select(Zone).where(Zone.client_id == tenant.client.id)).scalars().all()
    assert route_to_zone(zones, postal_code="23900").name == "Bergamo e Lecco"
    with pytest.raises(RuleViolation):
        route_to_zone(zones, postal_code="24050")


def test_a_zone_slug_in_use_is_refused(testapp, dbsession, tenant):
    login(testapp, tenant.account_manager)
    before = count(dbsession, Zone)
    form = testapp.get(client_url(tenant) + "zones/").forms["deform"]
    page = fill(form, slug=tenant.zone.slug, name="Copy").submit(status=400)
    assert field_error(page, "slug") == "Questo nome è già in uso."
    page = fill(page.forms["deform"], slug="ok", name="", postal_codes="x" * 61).submit(status=400)
    assert field_error(page, "name") and field_error(page, "postal_codes")
    page = fill(testapp.get(client_url(tenant) + f"zones/{tenant.zone.slug}/edit").forms["deform"],
                name="").submit(status=400)
    assert field_error(page, "name")
    dbsession.expire_all()
    assert count(dbsession, Zone) == before and dbsession.get(Zone, tenant.zone.id).name == tenant.zone.name


# --- Agents ---------------------------------------------------------------------------------------------------


def test_an_agent_is_added_with_the_standard_week_then_its_schedule_page(testapp, dbsession, tenant):
    login(testapp, tenant.account_manager)
    page = testapp.get(client_url(tenant) + "agents/").click(href="agents/add")
    form = fill(page.forms["deform"], slug="bianchi", name="Luca Bianchi", email="luca@example.test",
                phone="+39 02 1234")
    chosen = check_first(form, "zones")
    answer = form.submit(status=302)
    assert answer.location.endswith("/agents/bianchi/edit-schedule")
    agent = dbsession.execute(select(Agent).where(Agent.client_id == tenant.client.id, Agent.slug == "bianchi")
                              ).scalar_one()
    assert (agent.name, agent.email, agent.active) == ("Luca Bianchi", "luca@example.test", True)
    assert [zone.slug for zone in agent.zones] == [chosen]
    assert [(i.weekday, i.start_time, i.end_time) for i in agent.schedule] == [
        (d["weekday"], d["start"], d["end"]) for d in DEFAULT_WEEK]


def test_an_agent_slug_in_use_or_a_bad_e_mail_is_refused(testapp, dbsession, tenant):
    login(testapp, tenant.account_manager)
    before = count(dbsession, Agent)
    form = testapp.get(client_url(tenant) + "agents/add").forms["deform"]
    page = fill(form, slug=tenant.agent.slug, name="Copy").submit(status=400)
    assert field_error(page, "slug") == "Questo nome è già in uso."
    page = fill(page.forms["deform"], slug="new", name="New", email="not-an-email").submit(status=400)
    assert field_error(page, "email")
    assert count(dbsession, Agent) == before


def test_a_deactivated_agent_gets_no_new_slots_and_keeps_his_appointments(testapp, dbsession, tenant):
    from callcenter.booking.services import book_appointment

    appointment = book_appointment(
        dbsession, campaign=tenant.campaign, agent=tenant.agent, start=NOW.replace(day=26, hour=9),
        prospect={"name": "Rossi", "phone": "02 1", "postal_code": "20121"}, now=NOW, booked_by=tenant.operator)
    operator = {"Authorization": f"Bearer {make_token(dbsession, tenant.operator)}"}
    slots_url, week = f"/api/v1{campaign_url(tenant)}slots", {"postal_code": "20121", "week": "2026-W49"}
    assert tenant.agent.slug in testapp.get(slots_url, params=week, headers=operator).text
    login(testapp, tenant.account_manager)
    page = testapp.get(client_url(tenant) + "agents/")
    row = page.html.select_one(f'tr[data-agent="{tenant.agent.slug}"]')
    assert row["data-active"] == "1"
    next(form for form in page.forms.values() if form.action.endswith(f"{tenant.agent.slug}/deactivate")).submit(
        status=302)
    dbsession.expire_all()
    assert dbsession.get(Agent, tenant.agent.id).active is False
    assert appointment.state == "to_confirm"
    assert tenant.agent.slug not in testapp.get(slots_url, params=week, headers=operator).text
    page = testapp.get(client_url(tenant) + "agents/")
    next(form for form in page.forms.values() if form.action.endswith(f"{tenant.agent.slug}/reactivate")).submit(
        status=302)
    dbsession.expire_all()
    assert dbsession.get(Agent, tenant.agent.id).active is True
    assert tenant.agent.slug in testapp.get(slots_url, params=week, headers=operator).text
    actions = dbsession.execute(select(Change.action).where(Change.agent_id == tenant.agent.id,
                                                            Change.subject == "agent").order_by(Change.id)).scalars()
    assert list(actions) == ["deactivated", "reactivated"]


def test_setting_the_same_state_twice_records_nothing(dbsession, tenant):
    set_agent_active(dbsession, tenant.agent, True, now=NOW)
    assert tenant.agent.active is True


# --- Users ----------------------------------------------------------------------------------------------------


def test_the_client_users_page_lists_and_adds_each_kind_of_login(testapp, dbsession, tenant):
    login(testapp, tenant.account_manager)
    page = testapp.get(client_url(tenant)).click(href="/users")
    listed = {row["data-user"] for row in page.html.select("#user-list tbody tr")}
    assert {tenant.client_user.email, tenant.zone_manager.email, tenant.agent_user.email} <= listed
    assert tenant.operator.email not in listed
    fill(page.forms["deform"], email="Anna@Example.test", name="Anna", password=PASSWORD, role="client").submit(
        status=302)
    form = fill(testapp.get(client_url(tenant) + "users").forms["deform"], email="zm@example.test",
                password=PASSWORD, role="zone_manager")
    check_first(form, "zones")
    form.submit(status=302)
    fill(testapp.get(client_url(tenant) + "users").forms["deform"], email="ag@example.test", password=PASSWORD,
         role="agent", agent=tenant.other_agent.slug).submit(status=302)
    users = {user.email: user for user in dbsession.execute(
        select(User).where(User.email.in_(["anna@example.test", "zm@example.test", "ag@example.test"]))).scalars()}
    assert {email: (user.role, user.client_id) for email, user in users.items()} == {
        "anna@example.test": ("client", tenant.client.id), "zm@example.test": ("zone_manager", tenant.client.id),
        "ag@example.test": ("agent", tenant.client.id)}
    assert len(users["zm@example.test"].zones) == 1 and users["ag@example.test"].agent_id == tenant.other_agent.id
    testapp.reset()
    login(testapp, users["anna@example.test"])  # the new login works


@pytest.mark.parametrize("values, field", [
    ({"role": "zone_manager"}, "zones"),
    ({"role": "agent"}, "agent"),
    ({"role": "client", "agent": "AGENT"}, "agent"),
    ({"role": "client", "email": "EXISTING"}, "email"),
    ({"role": "client", "password": "short"}, "password"),
])
def test_a_user_of_the_wrong_shape_is_refused_beside_the_field(testapp, dbsession, tenant, values, field):
    login(testapp, tenant.account_manager)
    before = count(dbsession, User)
    values = {"email": "new@example.test", "password": PASSWORD, **values}
    values = {key: {"AGENT": tenant.agent.slug, "EXISTING": tenant.client_user.email}.get(value, value)
              for key, value in values.items()}
    page = fill(testapp.get(client_url(tenant) + "users").forms["deform"], **values).submit(status=400)
    assert field_error(page, field)
    assert count(dbsession, User) == before


def test_a_deactivated_user_cannot_log_in_nor_use_his_tokens_until_reactivated(testapp, dbsession, tenant):
    secret = make_token(dbsession, tenant.client_user)
    login(testapp, tenant.account_manager)
    page = testapp.get(client_url(tenant) + "users")
    form = next(form for form in page.forms.values()
                if form.action.endswith("/user-active") and form["id"].value == str(tenant.client_user.id))
    form.submit(status=302)
    dbsession.expire_all()
    assert dbsession.get(User, tenant.client_user.id).active is False
    assert dbsession.execute(select(ApiToken.revoked_at).where(ApiToken.user_id == tenant.client_user.id)
                             ).scalar_one() == NOW
    testapp.get(f"/api/v1{client_url(tenant)}", headers={"Authorization": f"Bearer {secret}"}, status=401)
    testapp.post("/logout", {"csrf_token": testapp.get("/password").forms[0]["csrf_token"].value})
    page = testapp.get("/login")
    fill(page.forms[0], email=tenant.client_user.email, password=PASSWORD).submit(status=400)
    set_user_active(dbsession, dbsession.get(User, tenant.client_user.id), True, now=NOW)
    login(testapp, tenant.client_user)


def test_a_user_of_another_client_cannot_be_switched_from_this_one(testapp, dbsession, tenant):
    other = Tenant(dbsession)
    login(testapp, tenant.account_manager)
    token = testapp.get("/password").forms[0]["csrf_token"].value
    testapp.post(client_url(tenant) + "user-active", {"csrf_token": token, "id": str(other.client_user.id),
                                                      "active": "0"}, status=404)
    testapp.post(client_url(tenant) + "user-active", {"csrf_token": token, "id": "x", "active": "0"}, status=404)
    assert dbsession.get(User, other.client_user.id).active is True


def test_admins_list_and_add_staff_and_cannot_deactivate_themselves(testapp, dbsession, tenant):
    login(testapp, tenant.admin)
    page = testapp.get("/clients/").click(href="/users")
    listed = {row["data-user"] for row in page.html.select("#user-list tbody tr")}
    assert {tenant.operator.email, tenant.account_manager.email, tenant.admin.email} <= listed
    assert tenant.client_user.email not in listed
    fill(page.forms["deform"], email="op@example.test", password=PASSWORD, role="operator").submit(status=302)
    page = fill(testapp.get("/users").forms["deform"], email=tenant.operator.email, password=PASSWORD,
                role="operator").submit(status=400)
    assert field_error(page, "email")
    assert dbsession.execute(select(User.role).where(User.email == "op@example.test")).scalar_one() == "operator"
    token = testapp.get("/password").forms[0]["csrf_token"].value
    testapp.post("/users/active", {"csrf_token": token, "id": str(tenant.admin.id), "active": "0"}, status=409)
    testapp.post("/users/active", {"csrf_token": token, "id": str(tenant.client_user.id), "active": "0"}, status=404)
    testapp.post("/users/active", {"csrf_token": token, "id": str(tenant.operator.id), "active": "0"}, status=302)
    dbsession.expire_all()
    assert (dbsession.get(User, tenant.admin.id).active, dbsession.get(User, tenant.operator.id).active) == (True, False)


# --- Links and permissions ------------------------------------------------------------------------------------------


def test_the_manage_links_show_only_to_who_may_manage(testapp, dbsession, tenant):
    login(testapp, tenant.account_manager)
    links = [a["href"] for a in testapp.get(client_url(tenant)).html.select("#manage a")]
    assert [link.removeprefix("http://localhost" + client_url(tenant)) for link in links] == [
        "campaigns/add", "zones/", "agents/", "users", "closed-days", "mail-templates", "edit"]
    assert len(testapp.get(campaign_url(tenant)).html.select("#manage a")) == 5  # settings, fields, steps, mail templates, import
    assert testapp.get("/clients/").html.select("#client-add") and not testapp.get("/clients/").html.select("#staff-link")
    testapp.reset()
    login(testapp, tenant.operator)
    assert not testapp.get(client_url(tenant)).html.select("#manage")
    assert not testapp.get("/clients/").html.select("#client-add")


# The lists of zones and agents are read by whoever sees the client folder (tests/functional/test_navigation.py).
MANAGEMENT_PAGES = [
    "{client}campaigns/add", "{campaign}settings", "{campaign}fields/", "{client}zones/{zone}/edit",
    "{client}agents/add", "{client}users", "{client}edit", "{client}agents/{agent}/edit",
]
MANAGEMENT_POSTS = MANAGEMENT_PAGES + [
    "{client}zones/", "{client}agents/",
    "{client}agents/{agent}/deactivate", "{client}agents/{agent}/reactivate", "{client}user-active",
]


def paths(tenant, templates):
    return [template.format(client=client_url(tenant), campaign=campaign_url(tenant), zone=tenant.zone.slug,
                            agent=tenant.agent.slug) for template in templates]


@pytest.mark.parametrize("role", ["client", "zone_manager", "agent", "operator", "other_account_manager"])
def test_who_may_not_manage_gets_403_on_every_management_page_and_post(testapp, dbsession, tenant, role):
    user = make_user(dbsession, "account_manager") if role == "other_account_manager" else tenant.user(role)
    login(testapp, user)
    token = testapp.get("/password").forms[0]["csrf_token"].value
    before = (count(dbsession, Campaign), count(dbsession, Zone), count(dbsession, Agent), count(dbsession, User))
    for path in paths(tenant, MANAGEMENT_PAGES):
        testapp.get(path, status=403)
    for path in paths(tenant, MANAGEMENT_POSTS):
        testapp.post(path, {"csrf_token": token, "slug": "x", "name": "x", "id": str(tenant.client_user.id),
                            "active": "0"}, status=403)
    testapp.get("/users", status=403)
    testapp.post("/users/active", {"csrf_token": token, "id": str(tenant.operator.id), "active": "0"}, status=403)
    testapp.post("/users/out-of-schedule", {"csrf_token": token, "id": str(tenant.operator.id), "allowed": "1"},
                 status=403)
    if role != "other_account_manager":
        testapp.get("/clients/add", status=403)
    dbsession.expire_all()
    assert before == (count(dbsession, Campaign), count(dbsession, Zone), count(dbsession, Agent),
                      count(dbsession, User))
    assert dbsession.get(Agent, tenant.agent.id).active and dbsession.get(User, tenant.client_user.id).active
    assert dbsession.get(User, tenant.operator.id).may_book_out_of_schedule is False


@pytest.mark.parametrize("role", ["account_manager", "admin"])
def test_the_account_manager_and_admins_open_every_management_page(testapp, tenant, role):
    login(testapp, tenant.user(role))
    for path in paths(tenant, MANAGEMENT_PAGES + ["{client}zones/", "{client}agents/"]) + ["/clients/add"]:
        testapp.get(path, status=200)
    testapp.get("/users", status=200 if role == "admin" else 403)
