"""The campaign's booking settings as a form: the API's PATCH for account managers in a browser."""
import pytest

from tests.factories import Tenant
from tests.functional.conftest import login


def settings_url(tenant):
    return f"/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}/settings"


def test_the_account_manager_changes_the_settings_from_the_campaign_folder(testapp, dbsession, tenant):
    login(testapp, tenant.account_manager)
    folder = testapp.get(f"/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}")
    form = folder.click(linkid="settings-link").forms["deform"]
    assert (form["cutoff_hours"].value, form["reminder_hours"].value) == ("36", "")
    form["appointment_minutes"], form["buffer_minutes"], form["cutoff_hours"] = "45", "15", "48"
    form["hold_minutes"], form["reminder_hours"] = "10", "24"
    form.submit(status=302).follow()
    dbsession.refresh(tenant.campaign)
    campaign = tenant.campaign
    assert (campaign.appointment_minutes, campaign.buffer_minutes, campaign.cutoff_hours, campaign.hold_minutes,
            campaign.reminder_hours) == (45, 15, 48, 10, 24)
    form = testapp.get(settings_url(tenant)).forms["deform"]
    form["reminder_hours"] = ""
    form.submit(status=302)
    dbsession.refresh(tenant.campaign)
    assert tenant.campaign.reminder_hours is None


@pytest.mark.parametrize("field, value", [("appointment_minutes", "5"), ("buffer_minutes", "-1"),
                                          ("hold_minutes", "0"), ("reminder_hours", "1000"), ("name", "")])
def test_a_value_out_of_range_is_shown_beside_its_field_and_nothing_changes(testapp, dbsession, tenant, field,
                                                                             value):
    login(testapp, tenant.account_manager)
    form = testapp.get(settings_url(tenant)).forms["deform"]
    form[field] = value
    page = form.submit(status=400)
    assert page.html.select_one(f"#deform .item-{field} .invalid-feedback") is not None
    dbsession.refresh(tenant.campaign)
    assert (tenant.campaign.appointment_minutes, tenant.campaign.buffer_minutes) == (60, 30)


@pytest.mark.parametrize("role", ["client", "zone_manager", "agent", "operator"])
def test_only_who_manages_the_client_sees_and_changes_the_settings(testapp, tenant, role):
    login(testapp, tenant.user(role))
    testapp.get(settings_url(tenant), status=403)


def test_another_clients_account_manager_may_not(testapp, dbsession, tenant):
    login(testapp, Tenant(dbsession).account_manager)
    testapp.get(settings_url(tenant), status=403)
