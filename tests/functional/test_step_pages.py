"""Steps as contracts in the browser: list, draft, edit, confirm, delete, printable summary (spec §6)."""
from datetime import date

import pytest
from sqlalchemy import select

from campaigns import services
from campaigns.models import Campaign, Step
from campaigns.services import add_campaign_field, add_step, confirm_step, delete_step, update_step
from portal.errors import RuleViolation
from portal.history import Change
from tests.conftest import NOW
from tests.factories import Tenant
from tests.functional.conftest import login


@pytest.fixture
def tenant(dbsession):
    return Tenant(dbsession, purchased=10)


def campaign_url(tenant):
    return f"/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}/"


def purchased(dbsession, tenant):
    dbsession.expire_all()
    return dbsession.get(Campaign, tenant.campaign.id).purchased


def post_button(page, action_suffix, status=302):
    form = next(form for form in page.forms.values() if form.action.endswith(action_suffix))
    return form.submit(status=status)


# --- Services -----------------------------------------------------------------------------------------------


def test_a_renewal_is_a_new_numbered_draft_that_counts_once_confirmed(dbsession, tenant):
    step = add_step(dbsession, tenant.campaign, quantity=50, now=NOW, created_by=tenant.account_manager)
    assert (step.number, step.state, purchased(dbsession, tenant)) == (2, "draft", 10)
    confirm_step(dbsession, step, now=NOW, actor=tenant.account_manager)
    assert (step.state, step.confirmed_at, step.confirmed_by_id) == ("confirmed", NOW, tenant.account_manager.id)
    assert purchased(dbsession, tenant) == 60


@pytest.mark.parametrize("quantity", [0, -3])
def test_a_step_buys_at_least_one_appointment(dbsession, tenant, quantity):
    with pytest.raises(RuleViolation) as refused:
        add_step(dbsession, tenant.campaign, quantity=quantity, now=NOW)
    assert (refused.value.code, refused.value.field, refused.value.status) == ("validation_error", "quantity", 400)


def test_a_step_ending_before_it_starts_is_refused(dbsession, tenant):
    step = add_step(dbsession, tenant.campaign, quantity=5, now=NOW)
    with pytest.raises(RuleViolation) as refused:
        update_step(dbsession, step, quantity=5, valid_from=date(2027, 1, 31), valid_to=date(2027, 1, 1),
                    description="", now=NOW)
    assert (refused.value.code, refused.value.field) == ("validation_error", "valid_to")


def test_a_confirmed_step_is_neither_confirmed_again_nor_changed_nor_deleted(dbsession, tenant):
    step = tenant.campaign.steps[0]
    for attempt in (lambda: confirm_step(dbsession, step, now=NOW),
                    lambda: update_step(dbsession, step, quantity=99, valid_from=None, valid_to=None, description="",
                                        now=NOW),
                    lambda: delete_step(dbsession, step, now=NOW)):
        with pytest.raises(RuleViolation) as refused:
            attempt()
        assert (refused.value.code, refused.value.status) == ("conflict", 409)
    assert (step.quantity, purchased(dbsession, tenant)) == (10, 10)


def test_editing_and_deleting_a_draft_is_recorded(dbsession, tenant):
    step = add_step(dbsession, tenant.campaign, quantity=5, now=NOW)
    update_step(dbsession, step, quantity=7, valid_from=date(2027, 1, 1), valid_to=None, description="Renewal",
                now=NOW, actor=tenant.account_manager)
    delete_step(dbsession, step, now=NOW, actor=tenant.account_manager)
    actions = dbsession.execute(select(Change.action).where(Change.campaign_id == tenant.campaign.id,
                                                            Change.subject == "step").order_by(Change.id)).scalars()
    assert list(actions)[-3:] == ["step_added", "step_changed", "step_deleted"]
    assert [s.number for s in services.campaign_steps(dbsession, tenant.campaign)] == [1]


# --- Pages --------------------------------------------------------------------------------------------------


def test_a_deleted_drafts_number_is_never_given_again(dbsession, tenant):
    draft = add_step(dbsession, tenant.campaign, quantity=5, now=NOW)
    assert draft.number == 2
    delete_step(dbsession, draft, now=NOW)
    assert add_step(dbsession, tenant.campaign, quantity=5, now=NOW).number == 3
    dbsession.expire_all()
    assert dbsession.get(Campaign, tenant.campaign.id).last_step_number == 3


def test_the_campaign_folder_lists_its_steps_with_who_created_and_confirmed(testapp, dbsession, tenant):
    add_step(dbsession, tenant.campaign, quantity=40, now=NOW, description="Renewal 2027",
             created_by=tenant.account_manager)
    login(testapp, tenant.account_manager)
    page = testapp.get(campaign_url(tenant))
    rows = page.html.select("#step-list tbody tr")
    assert [row["data-step"] for row in rows] == ["1", "2"]
    second = rows[1].get_text(" ", strip=True)
    assert "Renewal 2027" in second and "40" in second and tenant.account_manager.email in second
    assert "Bozza" in second and "Confermato" in rows[0].get_text(" ", strip=True)


def test_the_account_manager_drafts_edits_and_confirms_a_renewal_that_reopens_the_campaign(testapp, dbsession,
                                                                                           tenant):
    tenant.campaign.taken = 10  # full: out of the operators' list
    dbsession.flush()
    login(testapp, tenant.account_manager)
    form = testapp.get(campaign_url(tenant)).click(href="steps/add").forms["deform"]
    form["quantity"], form["valid_from"], form["valid_to"], form["description"] = "30", "2027-01-01", "2027-06-30", "R"
    form.submit(status=302)
    step = dbsession.execute(select(Step).where(Step.campaign_id == tenant.campaign.id, Step.number == 2)).scalar_one()
    assert (step.quantity, step.state, step.created_by_id) == (30, "draft", tenant.account_manager.id)

    form = testapp.get(campaign_url(tenant) + "steps/2/edit").forms["deform"]
    assert form["quantity"].value == "30"
    form["quantity"] = "25"
    form.submit(status=302)
    assert purchased(dbsession, tenant) == 10

    page = testapp.get(campaign_url(tenant))
    post_button(page, "steps/2/confirm")
    assert purchased(dbsession, tenant) == 35
    assert dbsession.get(Campaign, tenant.campaign.id).open_for_booking
    testapp.get(campaign_url(tenant) + "steps/2/edit", status=409)
    testapp.post(campaign_url(tenant) + "steps/2/confirm", {"csrf_token": csrf(page)}, status=409)


def csrf(page):
    return page.html.find("input", attrs={"name": "csrf_token"})["value"]


@pytest.mark.parametrize("values, field", [
    ({"quantity": "0"}, "quantity"),
    ({"quantity": "-1"}, "quantity"),
    ({"quantity": "many"}, "quantity"),
    ({"quantity": "5", "valid_from": "2027-02-01", "valid_to": "2027-01-01"}, "valid_to"),
])
def test_bad_terms_re_render_the_form_with_the_error_and_write_nothing(testapp, dbsession, tenant, values, field):
    login(testapp, tenant.account_manager)
    form = testapp.get(campaign_url(tenant) + "steps/add").forms["deform"]
    for name, value in values.items():
        form[name] = value
    page = form.submit(status=400)
    assert page.html.select_one(f"#deform .item-{field} .invalid-feedback") is not None
    assert len(services.campaign_steps(dbsession, tenant.campaign)) == 1


def test_a_draft_can_be_deleted_from_the_folder(testapp, dbsession, tenant):
    add_step(dbsession, tenant.campaign, quantity=5, now=NOW)
    login(testapp, tenant.account_manager)
    post_button(testapp.get(campaign_url(tenant)), "steps/2/delete")
    assert [step.number for step in services.campaign_steps(dbsession, tenant.campaign)] == [1]
    testapp.post(campaign_url(tenant) + "steps/1/delete", {"csrf_token": csrf(testapp.get(campaign_url(tenant)))},
                 status=409)


def test_the_printable_summary_holds_the_contract(testapp, dbsession, tenant):
    add_campaign_field(dbsession, tenant.campaign, name="heating", label="Riscaldamento", kind="choice",
                       choices=["gas", "pompa di calore"], required=True)
    step = add_step(dbsession, tenant.campaign, quantity=40, now=NOW, valid_from=date(2027, 1, 1),
                    valid_to=date(2027, 12, 31), description="Rinnovo", created_by=tenant.account_manager)
    confirm_step(dbsession, step, now=NOW, actor=tenant.admin)
    login(testapp, tenant.client_user)  # the client reads its contract too
    page = testapp.get(campaign_url(tenant) + "steps/2/summary")
    terms = {cell["data-term"]: cell.get_text(" ", strip=True) for cell in page.html.select("[data-term]")}
    assert terms["number"] == "2" and terms["quantity"] == "40"
    assert terms["validity"] == "2027-01-01 – 2027-12-31"
    assert tenant.account_manager.email in terms["created_by"]
    assert "23 nov 2026" in terms["confirmed"] and tenant.admin.email in terms["confirmed"]
    assert tenant.client.name in page.text and tenant.campaign.name in page.text
    assert "Riscaldamento" in page.html.select_one("#contract-fields").text
    assert "pompa di calore" in page.text
    assert "@media print" in page.text
    assert page.html.select_one("#contract-settings").get_text(" ", strip=True).count("36") == 1


@pytest.mark.parametrize("role", ["client", "zone_manager", "agent", "operator"])
def test_only_who_manages_the_client_changes_steps(testapp, dbsession, tenant, role):
    add_step(dbsession, tenant.campaign, quantity=5, now=NOW)
    login(testapp, tenant.user(role))
    token = csrf(testapp.get("/password"))
    testapp.get(campaign_url(tenant) + "steps/add", status=403)
    testapp.get(campaign_url(tenant) + "steps/2/edit", status=403)
    for action in ("confirm", "delete"):
        testapp.post(campaign_url(tenant) + f"steps/2/{action}", {"csrf_token": token}, status=403)
    assert purchased(dbsession, tenant) == 10 and len(services.campaign_steps(dbsession, tenant.campaign)) == 2


def test_another_tenants_account_manager_cannot_touch_the_steps(testapp, dbsession, tenant):
    other = Tenant(dbsession, purchased=1)
    login(testapp, other.account_manager)
    testapp.get(campaign_url(tenant) + "steps/1/summary", status=403)
    testapp.get(campaign_url(tenant) + "steps/add", status=403)
    testapp.get(campaign_url(tenant) + "steps/99/summary", status=404)


# --- API ----------------------------------------------------------------------------------------------------


def steps_api(tenant):
    return f"/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}/steps/"


def test_the_api_changes_only_what_is_sent_of_a_draft_and_deletes_it(api, dbsession, tenant):
    add_step(dbsession, tenant.campaign, quantity=5, now=NOW, valid_from=date(2027, 1, 1), description="Renewal")
    manager = api(tenant.account_manager)
    changed = manager.patch(steps_api(tenant) + "2", {"quantity": 8}).json
    assert (changed["quantity"], changed["valid_from"], changed["description"]) == (8, "2027-01-01", "Renewal")
    manager.delete(steps_api(tenant) + "2")
    manager.get(steps_api(tenant) + "2", status=404)
    assert manager.post(steps_api(tenant), {"quantity": 1}).json["number"] == 3
    actions = dbsession.execute(select(Change.action).where(Change.subject == "step").order_by(Change.id)).scalars()
    assert list(actions)[-4:] == ["step_added", "step_changed", "step_deleted", "step_added"]


def test_the_api_refuses_to_change_or_delete_a_signed_step_and_reversed_dates(api, dbsession, tenant):
    add_step(dbsession, tenant.campaign, quantity=5, now=NOW, valid_from=date(2027, 1, 1))
    manager = api(tenant.account_manager)
    for answer in (manager.patch(steps_api(tenant) + "1", {"quantity": 99}, status=409),
                   manager.delete(steps_api(tenant) + "1", status=409)):
        assert answer.json["error"]["code"] == "conflict"
    reversed_dates = manager.patch(steps_api(tenant) + "2", {"valid_to": "2026-12-31"}, status=400).json["error"]
    assert (reversed_dates["code"], reversed_dates["field"]) == ("validation_error", "valid_to")
    assert purchased(dbsession, tenant) == 10
    assert [step.quantity for step in services.campaign_steps(dbsession, tenant.campaign)] == [10, 5]


@pytest.mark.parametrize("role", ["client", "zone_manager", "agent", "operator"])
def test_only_who_manages_the_client_changes_steps_through_the_api(api, dbsession, tenant, role):
    add_step(dbsession, tenant.campaign, quantity=5, now=NOW)
    caller = api(tenant.user(role))
    caller.patch(steps_api(tenant) + "2", {"quantity": 6}, status=403)
    caller.delete(steps_api(tenant) + "2", status=403)
    outsider = api(Tenant(dbsession, purchased=1).account_manager)
    outsider.patch(steps_api(tenant) + "2", {"quantity": 6}, status=403)
    outsider.delete(steps_api(tenant) + "2", status=403)
    assert [step.quantity for step in services.campaign_steps(dbsession, tenant.campaign)] == [10, 5]
