"""Refusals at the edges: races on unique names, slug oracles, user shapes, the locale switch."""
from sqlalchemy import func, select

from campaigns.models import Client
from portal.accounts.models import User


def test_a_duplicate_slug_that_slips_past_the_check_is_a_conflict_not_a_500(api, tenant, dbsession, monkeypatch):
    # Two creations at the same instant: both pass the service's check, one meets the unique index.
    monkeypatch.setattr("campaigns.services.refuse_duplicate", lambda *args: None)
    refused = api(tenant.admin).post("/clients", {"slug": tenant.client.slug, "name": "Twin"}, status=409)
    assert refused.json["error"]["code"] == "conflict"
    assert dbsession.execute(select(func.count()).select_from(Client).where(Client.name == "Twin")).scalar() == 0


def test_an_account_manager_cannot_probe_which_client_slugs_exist(api, tenant):
    body = {"email": "new@example.test", "password": "long enough password", "role": "client"}
    missing = api(tenant.account_manager).post("/users", {**body, "client": "no-such-client"}, status=403)
    assert missing.json["error"]["code"] == "forbidden"


def test_an_admin_hears_that_a_client_slug_is_unknown(api, tenant):
    body = {"email": "new@example.test", "password": "long enough password", "role": "client", "client": "nope"}
    refused = api(tenant.admin).post("/users", body, status=400)
    assert (refused.json["error"]["code"], refused.json["error"]["field"]) == ("validation_error", "client")


def test_only_an_agents_login_names_an_agent(api, tenant, dbsession):
    body = {"email": "new@example.test", "password": "long enough password", "role": "client",
            "client": tenant.client.slug, "agent": tenant.agent.slug}
    refused = api(tenant.account_manager).post("/users", body, status=400)
    assert refused.json["error"]["field"] == "agent"
    assert dbsession.execute(select(User).where(User.email == "new@example.test")).first() is None


def test_only_zone_managers_have_zones(api, tenant):
    body = {"email": "new@example.test", "password": "long enough password", "role": "agent",
            "client": tenant.client.slug, "agent": tenant.agent.slug, "zones": [tenant.zone.slug]}
    refused = api(tenant.account_manager).post("/users", body, status=400)
    assert refused.json["error"]["field"] == "zones"


def test_the_locale_switch_is_accepted_on_appointment_lists(api, tenant):
    api(tenant.client_user).get(f"/clients/{tenant.client.slug}/appointments", _LOCALE_="en")


def test_the_language_switch_never_sends_the_browser_to_another_site(testapp):
    response = testapp.get("/language", {"locale": "en"}, headers={"Referer": "http://localhost.evil.example/x"},
                           status=302)
    assert response.location == "http://localhost/"
    assert "_LOCALE_=en" in response.headers["Set-Cookie"]


def test_validation_messages_are_in_the_users_language(api, tenant):
    """colander's errors keep their translation: Italian by default, English on request."""
    path = f"/clients/{tenant.client.slug}/appointments"
    reversed_dates = {"from": "2026-12-31", "to": "2026-12-01"}
    italian = api(tenant.client_user).get(path, status=400, **reversed_dates).json["error"]
    assert (italian["field"], italian["message"]) == ("to", "La data di fine è precedente alla data di inizio.")
    english = api(tenant.client_user).get(path, status=400, _LOCALE_="en", **reversed_dates).json["error"]
    assert english["message"] == "The end date is before the start date."
    missing = api(tenant.account_manager).post(f"/clients/{tenant.client.slug}/zones", {"slug": "x"}, status=400)
    assert (missing.json["error"]["field"], missing.json["error"]["message"]) == ("name", "Richiesto")
