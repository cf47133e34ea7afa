"""The walking skeleton end to end: a client sees its boxes; an operator books through the API."""
from tests.functional.conftest import login


def test_client_user_sees_the_boxes_of_the_folder(testapp, tenant):
    login(testapp, tenant.client_user)
    page = testapp.get(f"/clients/{tenant.client.slug}/")
    assert page.html.select_one('[data-count="purchased"]').text == "10"
    assert page.html.select_one('[data-count="taken"]').text == "0"


def test_operator_books_through_the_api(api, tenant):
    operator = api(tenant.operator)
    body = {"agent": tenant.agent.slug, "start": "2026-11-26T10:00:00+01:00",
            "prospect": {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}}
    created = operator.post(f"/clients/{tenant.client.slug}/campaigns/{tenant.campaign.slug}/appointments", body)
    assert created.json["number"] == 1
    assert created.json["start"] == "2026-11-26T10:00:00+01:00"
    counts = operator.get(f"/clients/{tenant.client.slug}").json
    assert (counts["taken"], counts["to_confirm"]) == (1, 1)
