"""The JSON API of spec §9: every call of §9.1 that exists, its refusals, and that a refusal writes nothing."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from agents.models import Agent, ScheduleInterval, Zone
from callcenter.appointments.cursors import encode_cursor
from callcenter.appointments.models import Appointment
from callcenter.booking.services import book_appointment
from callcenter.lifecycle import services as lifecycle
from campaigns.models import Campaign, Client, Step
from portal.accounts.models import ApiToken, User
from tests.conftest import NOW
from tests.factories import Tenant, make_agent, make_campaign, make_client, make_zone

PROSPECT = {"name": "Bar Centrale", "phone": "06 5556789", "postal_code": "20121"}
QUOTA_EXHAUSTED_EN = "The campaign has used up its purchased appointments: book on another campaign."
COUNT_NAMES = ("purchased", "taken", "to_confirm", "cancelled", "recovered")


# --- helpers ---------------------------------------------------------------------------------------


def assert_error(response, status, code, field):
    """The error shape of spec §9, exactly: nothing more, nothing less."""
    assert response.status_int == status, response.text
    assert response.content_type == "application/json"
    assert set(response.json) == {"error"}
    error = response.json["error"]
    assert set(error) == {"code", "message", "field"}
    assert (error["code"], error["field"]) == (code, field), error
    assert isinstance(error["message"], str) and error["message"].strip()
    return error


def count(dbsession, model, *where):
    return dbsession.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def counters(dbsession, campaign):
    """The campaign's counters as stored now (not as cached in the test's session)."""
    row = dbsession.execute(
        select(*(getattr(Campaign, name) for name in COUNT_NAMES)).where(Campaign.id == campaign.id)
    ).one()
    return dict(zip(COUNT_NAMES, row))


def last_number(dbsession, client):
    return dbsession.execute(select(Client.last_appointment_number).where(Client.id == client.id)).scalar_one()


def raw_post(client, path, body, status, content_type="application/json"):
    """POST bytes as they are, for bodies that are not what ``post_json`` would make."""
    return client.testapp.post(
        "/api/v1" + path, params=body, headers=client.headers, content_type=content_type, status=status
    )


def booking(agent, start="2026-11-26T10:00:00+01:00", notes=None, **prospect):
    body = {"agent": agent.slug, "start": start, "prospect": {**PROSPECT, **prospect}}
    if notes is not None:
        body["notes"] = notes
    return body


def appointments_url(tenant, campaign=None):
    campaign = campaign or tenant.campaign
    return f"/clients/{tenant.client.slug}/campaigns/{campaign.slug}/appointments"


def book(api_client, tenant, agent=None, campaign=None, status=201, **kw):
    return api_client.post(appointments_url(tenant, campaign), booking(agent or tenant.agent, **kw), status=status)


def user_by_email(dbsession, email):
    return dbsession.execute(select(User).where(User.email == email)).scalar_one()


@pytest.fixture
def other(dbsession):
    """A second tenant: its users must never see the first one's folders."""
    return Tenant(dbsession, purchased=5)


# --- clients -------------------------------------------------------------------------------------


def test_account_manager_creates_a_client_that_lands_in_his_portfolio(api, tenant, dbsession):
    manager = api(tenant.account_manager)
    created = manager.post("/clients", {"slug": "acme", "name": "Acme S.p.A.", "timezone": "Europe/Rome"})
    assert created.json == {
        "slug": "acme", "name": "Acme S.p.A.", "timezone": "Europe/Rome", "country": "IT",
        "purchased": 0, "taken": 0, "to_confirm": 0, "cancelled": 0, "recovered": 0, "open_for_booking": False,
    }
    client = dbsession.execute(select(Client).where(Client.slug == "acme")).scalar_one()
    assert client.account_manager_id == tenant.account_manager.id
    assert {item["slug"] for item in manager.get("/clients").json["items"]} == {tenant.client.slug, "acme"}
    assert manager.get("/clients/acme").json["slug"] == "acme"


def test_admin_creates_a_client_in_the_portfolio_of_the_account_manager_named(api, tenant, dbsession):
    api(tenant.admin).post("/clients", {"slug": "acme", "name": "Acme",
                                        "account_manager": tenant.account_manager.email})
    client = dbsession.execute(select(Client).where(Client.slug == "acme")).scalar_one()
    assert client.account_manager_id == tenant.account_manager.id
    assert "acme" in {item["slug"] for item in api(tenant.account_manager).get("/clients").json["items"]}


def test_admin_creates_a_client_without_account_manager_in_nobodys_portfolio(api, tenant, dbsession):
    created = api(tenant.admin).post("/clients", {"slug": "acme", "name": "Acme", "timezone": "Europe/Paris",
                                                  "country": "FR", "account_manager": None})
    assert (created.json["timezone"], created.json["country"]) == ("Europe/Paris", "FR")
    assert dbsession.execute(select(Client.account_manager_id).where(Client.slug == "acme")).scalar_one() is None
    assert "acme" not in {item["slug"] for item in api(tenant.account_manager).get("/clients").json["items"]}


def test_account_manager_lists_only_the_clients_of_his_portfolio(api, tenant, other):
    slugs = {item["slug"] for item in api(tenant.account_manager).get("/clients").json["items"]}
    assert tenant.client.slug in slugs and other.client.slug not in slugs
    all_slugs = {item["slug"] for item in api(tenant.admin).get("/clients").json["items"]}
    assert {tenant.client.slug, other.client.slug} <= all_slugs


def test_account_manager_cannot_put_a_client_in_another_portfolio(api, tenant, other, dbsession):
    response = api(tenant.account_manager).post(
        "/clients", {"slug": "acme", "name": "Acme", "account_manager": other.account_manager.email}, status=403
    )
    assert_error(response, 403, "forbidden", "account_manager")
    assert count(dbsession, Client, Client.slug == "acme") == 0


def test_client_naming_an_unknown_account_manager_is_refused(api, tenant, dbsession):
    response = api(tenant.admin).post(
        "/clients", {"slug": "acme", "name": "Acme", "account_manager": tenant.operator.email}, status=400
    )
    assert_error(response, 400, "validation_error", "account_manager")
    assert count(dbsession, Client, Client.slug == "acme") == 0


def test_client_with_a_slug_in_use_is_refused_with_conflict(api, tenant, dbsession):
    before = count(dbsession, Client)
    response = api(tenant.admin).post("/clients", {"slug": tenant.client.slug, "name": "Again"}, status=409)
    assert_error(response, 409, "conflict", "slug")
    assert count(dbsession, Client) == before


@pytest.mark.parametrize("body, field", [
    ({"name": "Acme"}, "slug"),
    ({"slug": "acme"}, "name"),
    ({"slug": "Acme Corp", "name": "Acme"}, "slug"),
    ({"slug": "acme\n", "name": "Acme"}, "slug"),
    ({"slug": "a" * 60 + "\n", "name": "Acme"}, "slug"),
    ({"slug": "acme", "name": ""}, "name"),
    ({"slug": "acme", "name": 42}, "name"),
    ({"slug": "acme", "name": "Acme", "timezone": "Europe/Atlantis"}, "timezone"),
    ({"slug": "acme", "name": "Acme", "country": "Italy"}, "country"),
    ({"slug": "acme", "name": "Acme", "country": "IT\n"}, "country"),
    ({"slug": "acme", "name": "Acme", "vat_number": "IT123"}, "vat_number"),
    ({"slug": "acme", "name": "Ac\u0000me"}, "name"),
], ids=["missing-slug", "missing-name", "slug-with-spaces", "slug-with-newline", "long-slug-with-newline",
        "empty-name", "name-a-number", "unknown-timezone", "country-not-a-code", "country-with-newline",
        "unknown-field", "nul-in-name"])
def test_bad_client_is_refused_naming_the_field_and_nothing_is_written(api, tenant, dbsession, body, field):
    before = count(dbsession, Client)
    response = api(tenant.admin).post("/clients", body, status=400)
    assert_error(response, 400, "validation_error", field)
    assert count(dbsession, Client) == before


@pytest.mark.parametrize("role", ["operator", "client", "zone_manager", "agent"])
def test_only_admins_and_account_managers_create_clients(api, tenant, dbsession, role):
    response = api(tenant.user(role)).post("/clients", {"slug": "acme", "name": "Acme"}, status=403)
    assert_error(response, 403, "forbidden", None)
    assert count(dbsession, Client, Client.slug == "acme") == 0


# --- zones and agents ----------------------------------------------------------------------------


def test_account_manager_creates_a_zone_and_sees_its_empty_folder(api, tenant):
    manager = api(tenant.account_manager)
    base = f"/clients/{tenant.client.slug}/zones"
    created = manager.post(base, {"slug": "torino", "name": "Torino", "provinces": ["TO"],
                                  "postal_codes": ["10121", "10122"]})
    assert created.json == {"slug": "torino", "name": "Torino", "provinces": ["TO"], "postal_codes": ["10121", "10122"]}
    assert manager.get(base + "/torino").json == {**created.json, "taken": 0, "to_confirm": 0, "cancelled": 0}
    assert "torino" in {zone["slug"] for zone in manager.get(base).json["items"]}


def test_zone_with_a_slug_in_use_is_refused_with_conflict(api, tenant, dbsession):
    before = count(dbsession, Zone)
    response = api(tenant.account_manager).post(f"/clients/{tenant.client.slug}/zones",
                                                {"slug": tenant.zone.slug, "name": "Again"}, status=409)
    assert_error(response, 409, "conflict", "slug")
    assert count(dbsession, Zone) == before


@pytest.mark.parametrize("body, field", [
    ({"slug": "torino", "name": "Torino", "provinces": "TO"}, "provinces"),
    ({"slug": "torino", "name": "Torino", "postal_codes": [10121]}, "postal_codes.0"),
    ({"slug": "torino", "name": "Torino", "postal_codes": [""]}, "postal_codes.0"),
    ({"slug": "torino", "name": "Torino", "managers": []}, "managers"),
    ({"slug": "torino", "name": "Torino", "postal_codes": ["10121", "101\u000022"]}, "postal_codes.1"),
], ids=["provinces-not-a-list", "postal-code-a-number", "empty-postal-code", "unknown-field", "nul-in-postal-code"])
def test_bad_zone_is_refused_naming_the_field_and_nothing_is_written(api, tenant, dbsession, body, field):
    before = count(dbsession, Zone)
    response = api(tenant.account_manager).post(f"/clients/{tenant.client.slug}/zones", body, status=400)
    assert_error(response, 400, "validation_error", field)
    assert count(dbsession, Zone) == before


def test_account_manager_creates_an_agent_with_zones_and_schedule(api, tenant, dbsession):
    manager = api(tenant.account_manager)
    base = f"/clients/{tenant.client.slug}/agents"
    body = {
        "slug": "mario-rossi", "name": "Mario Rossi", "email": "mario.rossi@example.test", "phone": "+39 333 1234567",
        "zones": [tenant.other_zone.slug, tenant.zone.slug],
        "schedule": [{"weekday": 0, "start": "09:00", "end": "13:00"},
                     {"weekday": 2, "start": "14:30", "end": "18:00"}],
    }
    created = manager.post(base, body).json
    assert sorted(created.pop("zones")) == sorted(body.pop("zones"))
    assert created == {**body, "active": True}
    folder = manager.get(base + "/mario-rossi").json
    assert sorted(folder.pop("zones")) == sorted([tenant.zone.slug, tenant.other_zone.slug])
    assert folder == {**created, "taken": 0, "to_confirm": 0, "cancelled": 0}
    assert "mario-rossi" in {agent["slug"] for agent in manager.get(base).json["items"]}
    agent = dbsession.execute(select(Agent).where(Agent.slug == "mario-rossi")).scalar_one()
    assert {zone.id for zone in agent.zones} == {tenant.zone.id, tenant.other_zone.id}


@pytest.mark.parametrize("change, field", [
    ({"zones": ["atlantis"]}, "zones"),
    ({"schedule": [{"weekday": 0, "start": "13:00", "end": "09:00"}]}, "schedule"),
    ({"schedule": [{"weekday": 7, "start": "09:00", "end": "13:00"}]}, "schedule.0.weekday"),
    ({"schedule": [{"weekday": "0", "start": "09:00", "end": "13:00"}]}, "schedule.0.weekday"),
    ({"schedule": [{"weekday": 0, "start": "25:00", "end": "26:00"}]}, "schedule.0.end"),
    ({"schedule": [{"weekday": 0, "start": "09:00"}]}, "schedule.0.end"),
    ({"schedule": [{"weekday": 0, "start": "09:00", "end": "13:00", "lunch": True}]}, "schedule.0.lunch"),
    ({"schedule": {"weekday": 0, "start": "09:00", "end": "13:00"}}, "schedule"),
    ({"email": "not an e-mail"}, "email"),
    ({"email": "x" * 250 + "@example.test"}, "email"),
    ({"nickname": "Super Mario"}, "nickname"),
], ids=["unknown-zone", "schedule-end-before-start", "weekday-7", "weekday-a-string", "impossible-time",
        "interval-without-end", "unknown-field-in-interval", "schedule-not-a-list", "bad-email", "too-long-email",
        "unknown-field"])
def test_bad_agent_is_refused_naming_the_field_and_nothing_is_written(api, tenant, dbsession, change, field):
    agents, intervals = count(dbsession, Agent), count(dbsession, ScheduleInterval)
    body = {"slug": "mario-rossi", "name": "Mario Rossi", "zones": [tenant.zone.slug], **change}
    response = api(tenant.account_manager).post(f"/clients/{tenant.client.slug}/agents", body, status=400)
    assert_error(response, 400, "validation_error", field)
    assert (count(dbsession, Agent), count(dbsession, ScheduleInterval)) == (agents, intervals)


@pytest.mark.parametrize("role", ["operator", "client", "zone_manager", "agent"])
def test_only_the_account_manager_of_the_client_creates_zones_and_agents(api, tenant, dbsession, role):
    client = api(tenant.user(role))
    base = f"/clients/{tenant.client.slug}"
    assert_error(client.post(base + "/zones", {"slug": "torino", "name": "Torino"}, status=403), 403, "forbidden", None)
    assert_error(client.post(base + "/agents", {"slug": "mario", "name": "Mario"}, status=403), 403, "forbidden", None)
    assert count(dbsession, Zone, Zone.slug == "torino") == 0
    assert count(dbsession, Agent, Agent.slug == "mario") == 0


def test_account_manager_cannot_manage_a_client_outside_his_portfolio(api, tenant, other, dbsession):
    response = api(tenant.account_manager).post(f"/clients/{other.client.slug}/zones",
                                                {"slug": "torino", "name": "Torino"}, status=403)
    assert_error(response, 403, "forbidden", None)
    assert count(dbsession, Zone, Zone.slug == "torino") == 0


# --- campaigns and steps -------------------------------------------------------------------------


def test_account_manager_creates_a_campaign_with_nothing_purchased(api, tenant):
    manager = api(tenant.account_manager)
    base = f"/clients/{tenant.client.slug}/campaigns"
    created = manager.post(base, {"slug": "winter", "name": "Winter 2026", "appointment_minutes": 45,
                                  "buffer_minutes": 15})
    assert created.json == {
        "slug": "winter", "name": "Winter 2026", "client": tenant.client.slug,
        "appointment_minutes": 45, "buffer_minutes": 15, "cutoff_hours": 36, "hold_minutes": 5,
        "reminder_hours": None, "alert_thresholds": [80, 90, 100], "recoveries_per_day": 2,
        "purchased": 0, "taken": 0, "to_confirm": 0, "cancelled": 0, "recovered": 0, "open_for_booking": False,
    }
    assert manager.get(base + "/winter").json == created.json
    assert "winter" in {campaign["slug"] for campaign in manager.get(base).json["items"]}


def test_confirming_a_step_adds_its_quantity_to_purchased(api, tenant, dbsession):
    manager = api(tenant.account_manager)
    base = f"/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}"
    step = manager.post(base + "/steps", {"quantity": 25, "valid_from": "2026-12-01", "valid_to": "2027-03-31",
                                          "description": "Renewal"})
    assert step.json == {"number": 2, "quantity": 25, "valid_from": "2026-12-01", "valid_to": "2027-03-31",
                         "description": "Renewal", "state": "draft", "created_by": tenant.account_manager.email,
                         "confirmed_by": None, "confirmed_at": None}
    assert manager.get(base).json["purchased"] == 10  # a draft does not count
    confirmed = manager.post(base + "/steps/2/confirm", status=200)
    assert confirmed.json == {**step.json, "state": "confirmed", "confirmed_by": tenant.account_manager.email,
                              "confirmed_at": "2026-11-23T09:00:00+01:00"}
    assert manager.get(base).json["purchased"] == 35
    assert manager.get(f"/clients/{tenant.client.slug}").json["purchased"] == 35
    assert manager.get(base + "/steps/2").json["state"] == "confirmed"
    assert [item["number"] for item in manager.get(base + "/steps").json["items"]] == [1, 2]


def test_confirming_a_step_twice_is_a_conflict_and_purchased_grows_once(api, tenant, dbsession):
    manager = api(tenant.account_manager)
    base = f"/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}"
    manager.post(base + "/steps", {"quantity": 5})
    manager.post(base + "/steps/2/confirm", status=200)
    response = manager.post(base + "/steps/2/confirm", status=409)
    assert_error(response, 409, "conflict", None)
    assert counters(dbsession, tenant.campaign)["purchased"] == 15


def test_a_confirmed_step_reopens_a_full_campaign(api, tenant, dbsession):
    campaign = make_campaign(dbsession, tenant.client, purchased=1)
    operator = api(tenant.operator)
    book(operator, tenant, campaign=campaign)
    base = f"/clients/{tenant.client.slug}/campaigns/{campaign.slug}"
    assert operator.get(base).json["open_for_booking"] is False
    manager = api(tenant.account_manager)
    manager.post(base + "/steps", {"quantity": 1})
    manager.post(base + "/steps/2/confirm", status=200)
    assert operator.get(base).json["open_for_booking"] is True
    book(operator, tenant, campaign=campaign, start="2026-11-27T10:00:00+01:00")


@pytest.mark.parametrize("body, field", [
    ({"quantity": "3"}, "quantity"),
    ({"quantity": 3.5}, "quantity"),
    ({"quantity": True}, "quantity"),
    ({"quantity": None}, "quantity"),
    ({"quantity": 0}, "quantity"),
    ({}, "quantity"),
    ({"quantity": 3, "valid_from": "2026-02-30"}, "valid_from"),
    ({"quantity": 3, "valid_from": "2027-01-01", "valid_to": "2026-12-31"}, "valid_to"),
    ({"quantity": 3, "price": 100}, "price"),
], ids=["quantity-a-string", "quantity-a-fraction", "quantity-true", "quantity-null", "quantity-zero",
        "missing-quantity", "impossible-date", "reversed-dates", "unknown-field"])
def test_bad_step_is_refused_naming_the_field_and_nothing_is_written(api, tenant, dbsession, body, field):
    steps = count(dbsession, Step)
    response = api(tenant.account_manager).post(
        f"/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}/steps", body, status=400)
    assert_error(response, 400, "validation_error", field)
    assert count(dbsession, Step) == steps
    assert counters(dbsession, tenant.campaign)["purchased"] == 10


@pytest.mark.parametrize("body, field", [
    ({"slug": "winter", "name": "Winter", "appointment_minutes": "60"}, "appointment_minutes"),
    ({"slug": "winter", "name": "Winter", "appointment_minutes": 5}, "appointment_minutes"),
    ({"slug": "winter", "name": "Winter", "buffer_minutes": 1.5}, "buffer_minutes"),
    ({"slug": "winter", "name": "Winter", "cutoff_hours": False}, "cutoff_hours"),
    ({"slug": "winter", "name": "Winter", "quota": 100}, "quota"),
], ids=["minutes-a-string", "minutes-too-few", "buffer-a-fraction", "cutoff-false", "unknown-field"])
def test_bad_campaign_is_refused_naming_the_field_and_nothing_is_written(api, tenant, dbsession, body, field):
    before = count(dbsession, Campaign)
    response = api(tenant.account_manager).post(f"/clients/{tenant.client.slug}/campaigns", body, status=400)
    assert_error(response, 400, "validation_error", field)
    assert count(dbsession, Campaign) == before


def test_campaign_with_a_slug_in_use_is_refused_with_conflict(api, tenant, dbsession):
    before = count(dbsession, Campaign)
    response = api(tenant.account_manager).post(f"/clients/{tenant.client.slug}/campaigns",
                                                {"slug": tenant.campaign.slug, "name": "Again"}, status=409)
    assert_error(response, 409, "conflict", "slug")
    assert count(dbsession, Campaign) == before


@pytest.mark.parametrize("path", ["/steps/9", "/steps/one", "/steps/9/confirm", "/steps/99999999999999999999",
                                  "/steps/%C2%B2", "/steps/-1"])
def test_unknown_step_is_not_found(api, tenant, path):
    manager = api(tenant.account_manager)
    base = f"/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}"
    method = manager.post if path.endswith("confirm") else manager.get
    assert_error(method(base + path, status=404), 404, "not_found", None)


# --- users ---------------------------------------------------------------------------------------


def test_account_manager_creates_the_client_side_users_of_his_client(api, tenant, dbsession):
    manager = api(tenant.account_manager)
    slug = tenant.client.slug
    bodies = {
        "client": {"email": "Anna@Example.test", "password": "long enough pw", "role": "client", "client": slug,
                   "name": "Anna"},
        "zone_manager": {"email": "zm@example.test", "password": "long enough pw", "role": "zone_manager",
                         "client": slug, "zones": [tenant.zone.slug]},
        "agent": {"email": "agent@example.test", "password": "long enough pw", "role": "agent", "client": slug,
                  "agent": tenant.agent.slug},
    }
    answers = {role: manager.post("/users", body).json for role, body in bodies.items()}
    assert answers == {
        "client": {"email": "anna@example.test", "name": "Anna", "role": "client", "client": slug, "zones": [],
                   "agent": None, "may_book_out_of_schedule": False},
        "zone_manager": {"email": "zm@example.test", "name": "", "role": "zone_manager", "client": slug,
                         "zones": [tenant.zone.slug], "agent": None, "may_book_out_of_schedule": False},
        "agent": {"email": "agent@example.test", "name": "", "role": "agent", "client": slug, "zones": [],
                  "agent": tenant.agent.slug, "may_book_out_of_schedule": False},
    }
    # Each new user opens exactly the folder of his/her role.
    as_client = api(user_by_email(dbsession, "anna@example.test"))
    as_client.get(f"/clients/{slug}")
    as_zone_manager = api(user_by_email(dbsession, "zm@example.test"))
    as_zone_manager.get(f"/clients/{slug}/zones/{tenant.zone.slug}")
    assert_error(as_zone_manager.get(f"/clients/{slug}/zones/{tenant.other_zone.slug}", status=403),
                 403, "forbidden", None)
    as_agent = api(user_by_email(dbsession, "agent@example.test"))
    as_agent.get(f"/clients/{slug}/agents/{tenant.agent.slug}")
    assert_error(as_agent.get(f"/clients/{slug}", status=403), 403, "forbidden", None)


@pytest.mark.parametrize("role", ["operator", "account_manager", "admin"])
def test_admin_creates_call_center_staff(api, tenant, dbsession, role):
    created = api(tenant.admin).post("/users", {"email": f"new-{role}@example.test", "password": "long enough pw",
                                                "role": role})
    assert created.json == {"email": f"new-{role}@example.test", "name": "", "role": role, "client": None,
                            "zones": [], "agent": None, "may_book_out_of_schedule": False}
    assert user_by_email(dbsession, f"new-{role}@example.test").role == role


@pytest.mark.parametrize("role", ["operator", "account_manager", "admin"])
def test_account_manager_cannot_create_call_center_staff(api, tenant, dbsession, role):
    before = count(dbsession, User)
    response = api(tenant.account_manager).post(
        "/users", {"email": "staff@example.test", "password": "long enough pw", "role": role}, status=403)
    assert_error(response, 403, "forbidden", "role")
    assert count(dbsession, User) == before


def test_account_manager_cannot_create_users_for_a_client_outside_his_portfolio(api, tenant, other, dbsession):
    before = count(dbsession, User)
    response = api(tenant.account_manager).post("/users", {"email": "spy@example.test", "password": "long enough pw",
                                                           "role": "client", "client": other.client.slug}, status=403)
    assert_error(response, 403, "forbidden", "client")
    assert count(dbsession, User) == before


@pytest.mark.parametrize("role", ["operator", "client", "zone_manager", "agent"])
def test_only_admins_and_account_managers_create_users(api, tenant, dbsession, role):
    before = count(dbsession, User)
    response = api(tenant.user(role)).post("/users", {"email": "x@example.test", "password": "long enough pw",
                                                      "role": "client", "client": tenant.client.slug}, status=403)
    assert_error(response, 403, "forbidden", None)
    assert count(dbsession, User) == before


@pytest.mark.parametrize("change, field", [
    ({"role": "zone_manager"}, "zones"),
    ({"role": "agent"}, "agent"),
    ({"role": "operator"}, "client"),
    ({"client": "atlantis"}, "client"),
    ({"role": "zone_manager", "zones": ["atlantis"]}, "zones"),
    ({"role": "agent", "agent": "nobody"}, "agent"),
    ({"role": "client", "client": None}, "client"),
    ({"role": "superuser"}, "role"),
    ({"password": "short"}, "password"),
    ({"email": "not-an-email"}, "email"),
    ({"email": "x" * 250 + "@example.test"}, "email"),
    ({"email": None}, "email"),
    ({"is_admin": True}, "is_admin"),
], ids=["zone-manager-without-zones", "agent-without-agent", "staff-with-client", "unknown-client", "unknown-zone",
        "unknown-agent", "client-role-without-client", "unknown-role", "short-password", "bad-email",
        "too-long-email", "null-email", "unknown-field"])
def test_bad_user_is_refused_naming_the_field_and_nothing_is_written(api, tenant, dbsession, change, field):
    before = count(dbsession, User)
    body = {"email": "new@example.test", "password": "long enough pw", "role": "client",
            "client": tenant.client.slug, **change}
    response = api(tenant.admin).post("/users", body, status=400)
    assert_error(response, 400, "validation_error", field)
    assert count(dbsession, User) == before


def test_user_with_an_email_in_use_in_any_case_is_a_conflict(api, tenant, dbsession):
    before = count(dbsession, User)
    response = api(tenant.admin).post("/users", {"email": tenant.client_user.email.upper(),
                                                 "password": "long enough pw", "role": "operator"}, status=409)
    assert_error(response, 409, "conflict", "email")
    assert count(dbsession, User) == before


# --- booking -------------------------------------------------------------------------------------


def test_booking_answers_201_with_the_appointment_in_the_clients_time_zone(api, tenant, dbsession):
    created = book(api(tenant.operator), tenant, start="2026-11-26T09:00:00Z", notes="Call before")
    assert created.json == {
        "number": 1, "state": "to_confirm",
        "start": "2026-11-26T10:00:00+01:00", "end": "2026-11-26T11:00:00+01:00",
        "agent": tenant.agent.slug, "zone": tenant.zone.slug, "campaign": tenant.campaign.slug,
        "prospect": {**PROSPECT, "company": None, "address": None, "province": None},
        "notes": "Call before", "fields": {},
        "confirmed_at": None, "contacted_at": None, "disowned_at": None, "cancelled_at": None,
        "cancel_reason": None, "outcome": None, "outcome_notes": "", "needs_rescheduling": False,
        "out_of_schedule": False,
    }
    stored = dbsession.execute(select(Appointment.start_at)).scalar_one()
    assert stored == datetime(2026, 11, 26, 9, tzinfo=timezone.utc)
    assert api(tenant.client_user).get(f"/clients/{tenant.client.slug}/appointments/1").json == created.json


def test_booking_in_summer_time_answers_with_the_summer_offset(api, tenant, dbsession):
    campaign = make_campaign(dbsession, tenant.client, purchased=1, cutoff_hours=0)
    created = book(api(tenant.operator), tenant, campaign=campaign, start="2027-07-01T08:00:00+00:00")
    assert (created.json["start"], created.json["end"]) == ("2027-07-01T10:00:00+02:00", "2027-07-01T11:00:00+02:00")


def test_booking_for_a_client_in_new_york_answers_in_new_york_time(api, tenant, dbsession):
    client = make_client(dbsession, timezone="America/New_York", account_manager=tenant.account_manager)
    zone = make_zone(dbsession, client, postal_codes=["10001"])
    agent = make_agent(dbsession, client, zones=[zone])
    campaign = make_campaign(dbsession, client, purchased=3)
    created = api(tenant.operator).post(
        f"/clients/{client.slug}/campaigns/{campaign.slug}/appointments",
        {"agent": agent.slug, "start": "2026-11-26T16:00:00+01:00",
         "prospect": {"name": "Deli", "phone": "+1 212 5550100", "postal_code": "10001"}})
    assert created.json["start"] == "2026-11-26T10:00:00-05:00"
    assert created.json["zone"] == zone.slug


def test_booking_routes_the_appointment_to_the_agents_zone_of_the_postal_code(api, tenant, dbsession):
    agent = make_agent(dbsession, tenant.client, zones=[tenant.zone, tenant.other_zone])
    created = book(api(tenant.operator), tenant, agent=agent, postal_code="10121")
    assert created.json["zone"] == tenant.other_zone.slug


def test_booking_numbers_are_sequential_per_client(api, tenant, other):
    operator = api(tenant.operator)
    assert book(operator, tenant).json["number"] == 1
    assert book(operator, tenant, start="2026-11-27T10:00:00+01:00").json["number"] == 2
    assert book(operator, other).json["number"] == 1


def test_booking_refused_with_quota_exhausted_when_taken_equals_purchased(api, tenant, dbsession):
    campaign = make_campaign(dbsession, tenant.client, purchased=1)
    operator = api(tenant.operator)
    book(operator, tenant, campaign=campaign)
    before = count(dbsession, Appointment), counters(dbsession, campaign), last_number(dbsession, tenant.client)
    response = book(operator, tenant, campaign=campaign, agent=tenant.other_agent, postal_code="10121", status=409)
    assert_error(response, 409, "quota_exhausted", "campaign")
    assert (count(dbsession, Appointment), counters(dbsession, campaign),
            last_number(dbsession, tenant.client)) == before
    assert before[1]["taken"] == before[1]["purchased"] == 1


def test_booking_refused_with_quota_exhausted_when_nothing_is_purchased(api, tenant, dbsession):
    campaign = make_campaign(dbsession, tenant.client, purchased=0)
    response = book(api(tenant.operator), tenant, campaign=campaign, status=409)
    assert_error(response, 409, "quota_exhausted", "campaign")
    assert counters(dbsession, campaign)["taken"] == 0


def test_quota_exhausted_message_is_english_with_accept_language_en(api, tenant, dbsession):
    campaign = make_campaign(dbsession, tenant.client, purchased=0)
    operator = api(tenant.operator)
    response = operator.testapp.post_json(
        "/api/v1" + appointments_url(tenant, campaign), booking(tenant.agent),
        headers={**operator.headers, "Accept-Language": "en"}, status=409)
    error = assert_error(response, 409, "quota_exhausted", "campaign")
    assert error["message"] == QUOTA_EXHAUSTED_EN


def test_booking_refused_with_slot_taken_when_the_agent_is_busy(api, tenant, dbsession):
    operator = api(tenant.operator)
    book(operator, tenant, start="2026-11-26T10:00:00+01:00")
    before = count(dbsession, Appointment), counters(dbsession, tenant.campaign), last_number(dbsession, tenant.client)
    # 60 minutes plus the 30-minute travel buffer: the agent is busy until 11:30 (11:00 is on the slot grid).
    response = book(operator, tenant, start="2026-11-26T11:00:00+01:00", status=409)
    assert_error(response, 409, "slot_taken", "start")
    assert (count(dbsession, Appointment), counters(dbsession, tenant.campaign),
            last_number(dbsession, tenant.client)) == before
    # The refused booking consumed neither a place nor a number.
    assert book(operator, tenant, start="2026-11-26T11:30:00+01:00").json["number"] == 2


def test_another_agent_is_free_at_the_same_time(api, tenant):
    operator = api(tenant.operator)
    book(operator, tenant)
    book(operator, tenant, agent=tenant.other_agent, postal_code="10121")


@pytest.mark.parametrize("start", ["2026-11-20T10:00:00+01:00", "2026-11-24T09:00:00+01:00"],
                         ids=["in-the-past", "24-hours-ahead"])
def test_booking_refused_with_insertion_cutoff_less_than_36_hours_ahead(api, tenant, dbsession, start):
    before = count(dbsession, Appointment), counters(dbsession, tenant.campaign)
    response = book(api(tenant.operator), tenant, start=start, status=422)
    assert_error(response, 422, "insertion_cutoff", "start")
    assert (count(dbsession, Appointment), counters(dbsession, tenant.campaign)) == before


# Wednesday 25 November at 10:00 in Rome is a slot of the agent's schedule (09:00 UTC).
SLOT_ON_WEDNESDAY = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)


def test_booking_exactly_36_hours_ahead_is_refused(api, tenant, dbsession, clock):
    # Rule 1: refused from the 36th hour before the start on (Monday 23 at 22:00 in Rome).
    clock.now = SLOT_ON_WEDNESDAY - timedelta(hours=36)
    before = count(dbsession, Appointment), counters(dbsession, tenant.campaign)
    response = book(api(tenant.operator), tenant, start="2026-11-25T10:00:00+01:00", status=422)
    assert_error(response, 422, "insertion_cutoff", "start")
    assert (count(dbsession, Appointment), counters(dbsession, tenant.campaign)) == before


def test_booking_a_minute_more_than_36_hours_ahead_is_accepted(api, tenant, clock):
    # A minute before the cutoff (Monday 23 at 21:59 in Rome) the slot is still open.
    clock.now = SLOT_ON_WEDNESDAY - timedelta(hours=36, minutes=1)
    created = book(api(tenant.operator), tenant, start="2026-11-25T10:00:00+01:00")
    assert created.json["start"] == "2026-11-25T10:00:00+01:00"


def without(key):
    def change(body):
        body.pop(key)
    return change


def without_prospect(key):
    def change(body):
        body["prospect"].pop(key)
    return change


def setting(key, value):
    def change(body):
        body[key] = value
    return change


def setting_prospect(key, value):
    def change(body):
        body["prospect"][key] = value
    return change


BAD_BOOKINGS = [
    ("unknown-field", setting("colour", "red"), "colour"),
    ("unknown-prospect-field", setting_prospect("email", "bar@example.test"), "prospect.email"),
    ("unknown-campaign-field", setting("fields", {"budget": 3}), "fields.budget"),
    ("agent-a-number", setting("agent", 5), "agent"),
    ("start-a-number", setting("start", 1795683600), "start"),
    ("start-null", setting("start", None), "start"),
    ("prospect-a-string", setting("prospect", "Bar Centrale"), "prospect"),
    ("prospect-a-list", setting("prospect", [PROSPECT]), "prospect"),
    ("prospect-name-a-number", setting_prospect("name", 42), "prospect.name"),
    ("notes-a-list", setting("notes", ["a"]), "notes"),
    ("missing-agent", without("agent"), "agent"),
    ("missing-start", without("start"), "start"),
    ("missing-prospect", without("prospect"), "prospect"),
    ("missing-prospect-phone", without_prospect("phone"), "prospect.phone"),
    ("bad-phone", setting_prospect("phone", "call me"), "prospect.phone"),
    ("phone-with-newline", setting_prospect("phone", "06 5556789\n"), "prospect.phone"),
    ("bad-postal-code", setting_prospect("postal_code", "2"), "prospect.postal_code"),
    ("unknown-agent", setting("agent", "nobody"), "agent"),
    ("impossible-date", setting("start", "2026-02-30T10:00:00+01:00"), "start"),
    ("time-without-offset", setting("start", "2026-11-26T10:00:00"), "start"),
    ("date-without-time", setting("start", "2026-11-26"), "start"),
    ("not-a-time", setting("start", "next Thursday"), "start"),
    ("beyond-the-calendar", setting("start", "9999-12-31T23:30:00-05:00"), "start"),
    ("before-the-calendar", setting("start", "0001-01-01T00:00:00+01:00"), "start"),
    ("nul-in-prospect-name", setting_prospect("name", "Bar\u0000Centrale"), "prospect.name"),
    ("nul-in-notes", setting("notes", "\u0000"), "notes"),
]


@pytest.mark.parametrize("change, field", [case[1:] for case in BAD_BOOKINGS], ids=[case[0] for case in BAD_BOOKINGS])
def test_bad_booking_is_refused_naming_the_field_and_nothing_is_written(api, tenant, dbsession, change, field):
    body = booking(tenant.agent)
    change(body)
    before = count(dbsession, Appointment), counters(dbsession, tenant.campaign), last_number(dbsession, tenant.client)
    response = api(tenant.operator).post(appointments_url(tenant), body, status=400)
    assert_error(response, 400, "validation_error", field)
    assert (count(dbsession, Appointment), counters(dbsession, tenant.campaign),
            last_number(dbsession, tenant.client)) == before


@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe", b'{"agent": "a",}'],
                         ids=["broken", "empty", "not-utf8", "trailing-comma"])
def test_malformed_json_is_refused_and_nothing_is_written(api, tenant, dbsession, body):
    before = count(dbsession, Appointment), counters(dbsession, tenant.campaign)
    response = raw_post(api(tenant.operator), appointments_url(tenant), body, status=400)
    assert_error(response, 400, "validation_error", None)
    assert (count(dbsession, Appointment), counters(dbsession, tenant.campaign)) == before


@pytest.mark.parametrize("body", [b"[]", b'[{"agent": "a"}]', b'"booking"', b"42", b"null"],
                         ids=["empty-array", "array-of-objects", "string", "number", "null"])
def test_json_that_is_not_an_object_is_refused_and_nothing_is_written(api, tenant, dbsession, body):
    before = count(dbsession, Appointment), counters(dbsession, tenant.campaign)
    response = raw_post(api(tenant.operator), appointments_url(tenant), body, status=400)
    assert_error(response, 400, "validation_error", None)
    assert (count(dbsession, Appointment), counters(dbsession, tenant.campaign)) == before


def test_booking_an_agent_of_another_client_is_refused_naming_the_agent(api, tenant, other, dbsession):
    before = count(dbsession, Appointment)
    response = book(api(tenant.operator), tenant, agent=other.agent, status=400)
    assert_error(response, 400, "validation_error", "agent")
    assert count(dbsession, Appointment) == before


def test_booking_an_inactive_agent_is_refused_naming_the_agent(api, tenant, dbsession):
    tenant.agent.active = False
    dbsession.flush()
    response = book(api(tenant.operator), tenant, status=400)
    assert_error(response, 400, "validation_error", "agent")
    assert count(dbsession, Appointment) == 0


@pytest.mark.parametrize("path", [
    "/clients/atlantis/campaigns/{campaign}/appointments",
    "/clients/{client}/campaigns/atlantis/appointments",
], ids=["unknown-client", "unknown-campaign"])
def test_booking_into_an_unknown_folder_is_not_found(api, tenant, dbsession, path):
    path = path.format(client=tenant.client.slug, campaign=tenant.campaign.slug)
    response = api(tenant.operator).post(path, booking(tenant.agent), status=404)
    assert_error(response, 404, "not_found", None)
    assert count(dbsession, Appointment) == 0


@pytest.mark.parametrize("role", ["client", "zone_manager", "agent"])
def test_client_side_users_cannot_book(api, tenant, dbsession, role):
    response = book(api(tenant.user(role)), tenant, status=403)
    assert_error(response, 403, "forbidden", None)
    assert count(dbsession, Appointment) == 0


# --- lists, filters and pagination ---------------------------------------------------------------


@pytest.fixture
def diary(api, tenant, dbsession):
    """Four appointments: one in the past (booked last week), three to come in two zones."""
    past = book_appointment(
        dbsession, campaign=tenant.campaign, agent=tenant.agent, start=datetime(2026, 11, 20, 9, tzinfo=timezone.utc),
        prospect={"name": "Old Client", "phone": "06 5556789", "postal_code": "20121"},
        now=NOW - timedelta(days=7),
    )
    operator = api(tenant.operator)
    book(operator, tenant, start="2026-11-26T10:00:00+01:00", name="Bar Centrale")
    book(operator, tenant, start="2026-11-27T10:00:00+01:00", name="Pizzeria Roma")
    book(operator, tenant, agent=tenant.other_agent, start="2026-11-30T15:00:00+01:00", name="Hotel Torino",
         postal_code="10121")
    return past


CURSOR = encode_cursor((NOW, 1))


def numbers(response):
    return [item["number"] for item in response.json["items"]]


def test_all_appointments_latest_first_in_pages_with_has_more(api, tenant, diary):
    client = api(tenant.client_user)
    url = f"/clients/{tenant.client.slug}/appointments"
    first = client.get(url, per_page=3)
    assert numbers(first) == [4, 3, 2]
    assert (first.json["page"], first.json["per_page"], first.json["has_more"]) == (1, 3, True)
    second = client.get(url, per_page=3, page=2)
    assert numbers(second) == [1]
    assert second.json["has_more"] is False
    assert numbers(client.get(url, per_page=2, page=2)) == [2, 1]
    assert client.get(url, per_page=2, page=2).json["has_more"] is False
    assert numbers(client.get(url, page=3, per_page=2)) == []


def follow(client, link):
    """GET a page's ``next`` or ``previous`` link as it is (a path with its query)."""
    assert link.startswith("/api/v1/")
    return client.testapp.get(link, headers=client.headers)


def pages_following(client, response, link):
    """The numbers of each page from ``response`` on, following its ``next`` (or ``previous``) links."""
    pages = [[item["number"] for item in response.json["items"]]]
    while response.json[link] is not None:
        response = follow(client, response.json[link])
        pages.append([item["number"] for item in response.json["items"]])
    return pages, response.json


def test_all_appointments_page_by_cursor_through_ties_of_start_time(api, tenant, diary):
    book(api(tenant.operator), tenant, agent=tenant.other_agent, start="2026-11-26T10:00:00+01:00",
         postal_code="10121")  # number 5, at the time of number 2
    client = api(tenant.client_user)
    url = f"/clients/{tenant.client.slug}/appointments"
    pages, last = pages_following(client, client.get(url, per_page=2, state="to_confirm"), "next")
    assert pages == [[4, 3], [5, 2], [1]]
    assert (last["has_more"], last["page"]) == (False, None)
    assert "state=to_confirm" in last["previous"] and "per_page=2" in last["previous"]
    back, first = pages_following(client, follow(client, last["previous"]), "previous")
    assert back == [[5, 2], [4, 3]]
    assert (first["previous"], first["page"]) == (None, None)
    assert numbers(follow(client, first["next"])) == [5, 2]
    upcoming, _ = pages_following(client, client.get(url, per_page=1, upcoming="1"), "next")
    assert upcoming == [[2], [5], [3], [4]]


def test_first_page_has_no_previous_and_a_cursor_past_the_end_an_empty_page(api, tenant, diary):
    client = api(tenant.client_user)
    url = f"/clients/{tenant.client.slug}/appointments"
    first = client.get(url).json
    assert (first["previous"], first["next"], first["has_more"], first["page"]) == (None, None, False, 1)
    forged = encode_cursor((NOW - timedelta(days=3650), 7))  # before every appointment
    assert client.get(url, after=forged).json["items"] == []
    assert numbers(client.get(url, before=forged)) == [4, 3, 2, 1]


def test_upcoming_lists_active_appointments_from_now_soonest_first(api, tenant, diary, dbsession):
    cancelled = dbsession.execute(select(Appointment).where(Appointment.number == 3)).scalar_one()
    cancelled.state = "cancelled"
    dbsession.flush()
    response = api(tenant.client_user).get(f"/clients/{tenant.client.slug}/appointments", upcoming="1")
    assert numbers(response) == [2, 4]


@pytest.mark.parametrize("params, expected", [
    ({"state": "to_confirm"}, [4, 3, 2, 1]),
    ({"state": "confirmed"}, []),
    ({"from": "2026-11-26", "to": "2026-11-27"}, [3, 2]),
    ({"from": "2026-11-27"}, [4, 3]),
    ({"to": "2026-11-20"}, [1]),
    ({"from": "2026-11-26", "to": "2026-11-26"}, [2]),
    ({"agent": "{other_agent}"}, [4]),
    ({"zone": "{zone}"}, [3, 2, 1]),
    ({"campaign": "{campaign}"}, [4, 3, 2, 1]),
    ({"campaign": "atlantis"}, []),
    ({"q": "pizzeria"}, [3]),
    ({"q": "CENTRALE"}, [2]),
    ({"q": "10121"}, [4]),
    ({"q": "4"}, [4]),
    ({"q": "9" * 40}, []),
    ({"zone": "{zone}", "from": "2026-11-21", "q": "bar"}, [2]),
], ids=["to-confirm", "confirmed", "date-range", "from-only", "to-only", "one-day", "agent", "zone", "campaign",
        "unknown-campaign", "text-in-name", "text-any-case", "postal-code", "number", "huge-number", "combined"])
def test_all_appointments_filtered(api, tenant, diary, params, expected):
    names = {"other_agent": tenant.other_agent.slug, "zone": tenant.zone.slug, "campaign": tenant.campaign.slug}
    params = {key: value.format(**names) for key, value in params.items()}
    response = api(tenant.client_user).get(f"/clients/{tenant.client.slug}/appointments", **params)
    assert numbers(response) == expected


def test_folder_lists_hold_only_the_folders_appointments(api, tenant, diary, dbsession):
    manager = api(tenant.account_manager)
    base = f"/clients/{tenant.client.slug}"
    assert numbers(manager.get(f"{base}/zones/{tenant.zone.slug}/appointments")) == [3, 2, 1]
    assert numbers(manager.get(f"{base}/zones/{tenant.other_zone.slug}/appointments")) == [4]
    assert numbers(manager.get(f"{base}/agents/{tenant.agent.slug}/appointments")) == [3, 2, 1]
    assert numbers(manager.get(f"{base}/agents/{tenant.other_agent.slug}/appointments", upcoming="1")) == [4]
    assert numbers(manager.get(f"{base}/campaigns/{tenant.campaign.slug}/appointments")) == [4, 3, 2, 1]
    campaign = make_campaign(dbsession, tenant.client, purchased=1)
    assert numbers(manager.get(f"{base}/campaigns/{campaign.slug}/appointments")) == []


def test_a_zone_managers_agent_list_pages_by_cursor_within_the_managed_zones(api, tenant, diary):
    manager = api(tenant.zone_manager)
    url = f"/clients/{tenant.client.slug}/agents/{tenant.agent.slug}/appointments"
    first = manager.get(url, per_page=2).json
    assert [item["number"] for item in first["items"]] == [3, 2]
    assert numbers(follow(manager, first["next"])) == [1]
    assert numbers(manager.get(url, per_page=2, upcoming="1", q="bar")) == [2]


@pytest.mark.parametrize("params, field", [
    ({"from": "2026-12-01", "to": "2026-11-01"}, "to"),
    ({"state": "bogus"}, "state"),
    ({"upcoming": "maybe"}, "upcoming"),
    ({"from": "2026-02-30"}, "from"),
    ({"to": "yesterday"}, "to"),
    ({"to": "9999-12-31"}, "to"),
    ({"from": "0001-01-01"}, "from"),
    ({"page": "0"}, "page"),
    ({"page": "two"}, "page"),
    ({"per_page": "500"}, "per_page"),
    ({"page": "21"}, "page"),
    ({"after": "not-a-cursor"}, "after"),
    ({"before": "%%%"}, "before"),
    ({"after": "MS4xLjk5OTk5OTk5OTk5"}, "after"),  # "1.1.99999999999": an id past the column's integers
    ({"after": "MS45OTk5OTk5OTk5OTk5OTk5OTk5OS4x"}, "after"),  # "1.99999999999999999999.1": a time past the calendar
    ({"after": "MQ", "before": "MQ"}, "after"),
    ({"after": CURSOR, "before": CURSOR}, "before"),
    ({"after": CURSOR, "page": "2"}, "page"),
    ({"q": "x" * 101}, "q"),
    ({"sort": "start"}, "sort"),
    ({"q": "bar\u0000"}, "q"),
    ({"agent": "\u0000"}, "agent"),
], ids=["reversed-dates", "unknown-state", "bad-flag", "impossible-date", "not-a-date", "end-of-the-calendar",
        "start-of-the-calendar", "page-zero", "page-a-word", "too-many-per-page", "page-too-deep",
        "not-a-cursor", "cursor-not-base64", "cursor-id-too-large", "cursor-time-too-late", "cursor-cut",
        "after-and-before", "page-and-cursor", "text-too-long",
        "unknown-parameter", "nul-in-text", "nul-in-agent"])
def test_bad_list_query_is_refused_naming_the_parameter(api, tenant, params, field):
    response = api(tenant.client_user).get(f"/clients/{tenant.client.slug}/appointments", status=400, **params)
    assert_error(response, 400, "validation_error", field)


# --- folder counts -------------------------------------------------------------------------------


def test_folder_counts_of_client_campaign_zone_and_agent(api, tenant, diary, dbsession):
    manager = api(tenant.account_manager)
    base = f"/clients/{tenant.client.slug}"
    second = make_campaign(dbsession, tenant.client, purchased=2)
    book(api(tenant.operator), tenant, campaign=second, start="2026-12-01T10:00:00+01:00")

    client = manager.get(base).json
    assert {name: client[name] for name in (*COUNT_NAMES, "open_for_booking")} == {
        "purchased": 12, "taken": 5, "to_confirm": 5, "cancelled": 0, "recovered": 0, "open_for_booking": True}
    campaign = manager.get(f"{base}/campaigns/{second.slug}").json
    assert {name: campaign[name] for name in ("purchased", "taken", "to_confirm", "open_for_booking")} == {
        "purchased": 2, "taken": 1, "to_confirm": 1, "open_for_booking": True}
    zone = manager.get(f"{base}/zones/{tenant.zone.slug}").json
    assert (zone["taken"], zone["to_confirm"], zone["cancelled"]) == (4, 4, 0)
    agent = manager.get(f"{base}/agents/{tenant.other_agent.slug}").json
    assert (agent["taken"], agent["to_confirm"], agent["cancelled"]) == (1, 1, 0)


def test_zone_and_agent_counts_follow_the_state_of_their_appointments(api, tenant, diary, dbsession):
    # Through the services that keep the folders' counters (callcenter.appointments.counters).
    for appointment in dbsession.execute(select(Appointment).where(Appointment.number.in_([1, 2]))).scalars():
        if appointment.number == 1:
            lifecycle.cancel(dbsession, appointment, reason="wrong_target", now=NOW)
        else:
            lifecycle.confirm(dbsession, appointment, actor=tenant.operator, now=NOW)
    dbsession.flush()
    base = f"/clients/{tenant.client.slug}"
    zone = api(tenant.zone_manager).get(f"{base}/zones/{tenant.zone.slug}").json
    assert (zone["taken"], zone["to_confirm"], zone["cancelled"]) == (2, 1, 1)
    agent = api(tenant.agent_user).get(f"{base}/agents/{tenant.agent.slug}").json
    assert (agent["taken"], agent["to_confirm"], agent["cancelled"]) == (2, 1, 1)


def test_a_full_campaign_is_no_longer_open_for_booking(api, tenant, dbsession):
    campaign = make_campaign(dbsession, tenant.client, purchased=1)
    book(api(tenant.operator), tenant, campaign=campaign)
    answer = api(tenant.client_user).get(f"/clients/{tenant.client.slug}/campaigns/{campaign.slug}").json
    assert (answer["purchased"], answer["taken"], answer["open_for_booking"]) == (1, 1, False)


# --- authentication and tenants ------------------------------------------------------------------


def test_no_token_is_unauthenticated(testapp, tenant):
    response = testapp.get(f"/api/v1/clients/{tenant.client.slug}", status=401)
    assert_error(response, 401, "unauthenticated", None)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_post_without_token_is_unauthenticated_and_writes_nothing(testapp, tenant, dbsession):
    response = testapp.post_json("/api/v1" + appointments_url(tenant), booking(tenant.agent), status=401)
    assert_error(response, 401, "unauthenticated", None)
    assert count(dbsession, Appointment) == 0


@pytest.mark.parametrize("authorization", ["Bearer qp_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "qp_token"],
                         ids=["wrong-token", "empty-token", "basic-auth", "no-scheme"])
def test_wrong_credentials_are_unauthenticated(testapp, tenant, authorization):
    response = testapp.get("/api/v1/clients", headers={"Authorization": authorization}, status=401)
    assert_error(response, 401, "unauthenticated", None)


def test_revoked_token_is_unauthenticated(api, tenant, dbsession):
    client = api(tenant.admin)
    client.get("/clients")
    dbsession.execute(select(ApiToken).where(ApiToken.user_id == tenant.admin.id)).scalar_one().revoked_at = NOW
    dbsession.flush()
    assert_error(client.get("/clients", status=401), 401, "unauthenticated", None)


def test_token_of_a_deactivated_user_is_unauthenticated(api, tenant, dbsession):
    client = api(tenant.operator)
    tenant.operator.active = False
    dbsession.flush()
    assert_error(client.get("/clients", status=401), 401, "unauthenticated", None)


@pytest.mark.parametrize("path", [
    "/clients/{client}", "/clients/{client}/appointments", "/clients/{client}/appointments/1",
    "/clients/{client}/campaigns", "/clients/{client}/campaigns/{campaign}", "/clients/{client}/zones/{zone}",
    "/clients/{client}/agents/{agent}", "/clients/{client}/agents/{agent}/appointments",
])
def test_client_user_of_another_client_is_forbidden(api, tenant, other, path):
    book(api(tenant.operator), tenant)
    path = path.format(client=tenant.client.slug, campaign=tenant.campaign.slug, zone=tenant.zone.slug,
                       agent=tenant.agent.slug)
    assert_error(api(other.client_user).get(path, status=403), 403, "forbidden", None)


@pytest.mark.parametrize("path", ["/clients/atlantis", "/clients/{client}/zones/atlantis",
                                  "/clients/{client}/agents/atlantis/appointments",
                                  "/clients/{client}/appointments/99", "/clients/{client}/appointments/one",
                                  "/clients/{client}/appointments/99999999999999999999",
                                  "/clients/{client}/appointments/%C2%B2", "/clients/a%00b",
                                  "/clients/{client}/zones/a%00b",
                                  "/clients/{client}/nothing-here", "/nothing-here"])
def test_unknown_path_is_not_found(api, tenant, path):
    response = api(tenant.admin).get(path.format(client=tenant.client.slug), status=404)
    assert_error(response, 404, "not_found", None)


@pytest.mark.parametrize("role", ["client", "zone_manager", "agent"])
def test_client_side_users_cannot_list_the_clients(api, tenant, role):
    assert_error(api(tenant.user(role)).get("/clients", status=403), 403, "forbidden", None)
