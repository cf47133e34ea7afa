"""The operators' worklists pass a screen (README "What it does"): searched, filtered and in pages by the database, the
filters kept from page to page, the same parameters in the API, bad ones refused (spec §4, §6, §9)."""
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from callcenter.appointments.models import Recovery
from callcenter.lifecycle.models import ConfirmationCall
from tests.conftest import NOW
from tests.factories import Tenant, make_campaign
from tests.functional.lifecycle.test_lifecycle_pages import (
    THURSDAY_10,
    TUESDAY_10,
    book,
    login,
)

EARLIER = NOW - timedelta(days=7)  # booked a week ago, before the cutoff


def numbers(page, selector=".worklist-item"):
    """The appointments listed, as client/number (numbers are per client)."""
    return [f'{item["data-client"]}/{item["data-number"]}' for item in page.html.select(selector)]


def key(appointment):
    return f"{appointment.client.slug}/{appointment.number}"


def page_links(page, id="worklist-pages"):
    return [link["href"] for link in page.html.select(f"#{id} a.page-link")]


def query_of(link):
    return {key: values[0] for key, values in parse_qs(urlsplit(link).query).items()}


@pytest.fixture
def tomorrow(dbsession, tenant):
    """Tomorrow's meetings of two clients: three of the tenant's (two agents), one of a stranger's."""
    stranger = Tenant(dbsession)
    rows = {
        "bar": book(dbsession, tenant, start=TUESDAY_10, now=EARLIER, name="Bar Centrale"),
        "pizzeria": book(dbsession, tenant, start=TUESDAY_10 + timedelta(hours=2), now=EARLIER,
                         name="Pizzeria Rossi"),
        "ottica": book(dbsession, tenant, start=TUESDAY_10, agent=tenant.other_agent, postal_code="10121",
                       now=EARLIER, name="Ottica Verdi"),
        "stranger": book(dbsession, stranger, start=TUESDAY_10, now=EARLIER, name="Bar Straniero"),
    }
    return stranger, rows


# --- Confirmation calls -------------------------------------------------------------------------------


def test_confirmation_calls_are_searched_and_filtered(testapp, tenant, tomorrow):
    stranger, rows = tomorrow
    login(testapp, tenant.operator)

    def listed(**params):
        return sorted(numbers(testapp.get("/callcenter/confirmations", params=params)))

    assert len(listed()) == 4
    assert listed(q="rossi") == [key(rows["pizzeria"])]
    assert listed(q="bar", client=tenant.client.slug) == [key(rows["bar"])]
    assert listed(agent=tenant.other_agent.slug) == [key(rows["ottica"])]
    assert listed(campaign=stranger.campaign.slug) == [key(rows["stranger"])]
    assert listed(zone=tenant.other_zone.slug) == [key(rows["ottica"])]
    assert listed(q=tenant.agent.name, client=tenant.client.slug) == sorted(
        [key(rows["bar"]), key(rows["pizzeria"])])
    assert listed(call="not_reached") == []
    page = testapp.get("/callcenter/confirmations", params={"q": "nessuno"})
    assert "Nessuna chiamata da fare corrisponde a questi filtri." in page.text
    assert page.html.select_one("#w-q")["value"] == "nessuno"


def test_the_calls_made_have_their_own_pages_and_the_call_filter(testapp, dbsession, tenant, tomorrow):
    _stranger, rows = tomorrow
    login(testapp, tenant.operator)
    testapp.get("/callcenter/confirmations")  # the page tops today's worklist up
    calls = {call.appointment_id: call for call in dbsession.execute(select(ConfirmationCall)).scalars()}
    for name in ("bar", "pizzeria"):
        calls[rows[name].id].state, calls[rows[name].id].outcome = "done", "disowned"
    calls[rows["ottica"].id].state = "not_reached"
    dbsession.flush()

    page = testapp.get("/callcenter/confirmations", params={"client": tenant.client.slug, "per_page": "1"})
    assert numbers(page) == [key(rows["ottica"])]
    progress = page.html.select_one("#worklist-progress")
    assert (progress["data-done"], progress["data-to-call"]) == ("2", "1")
    assert len(numbers(page, ".worklist-done-item")) == 1
    links = page_links(page, "worklist-done-pages")
    assert query_of(links[-1]) == {"client": tenant.client.slug, "per_page": "1", "done_page": "2"}
    second = testapp.get(links[-1])
    assert numbers(second) == [key(rows["ottica"])]
    assert numbers(page, ".worklist-done-item") + numbers(second, ".worklist-done-item") in (
        [key(rows["bar"]), key(rows["pizzeria"])], [key(rows["pizzeria"]), key(rows["bar"])])

    done = testapp.get("/callcenter/confirmations", params={"call": "done"})
    assert numbers(done) == [] and len(numbers(done, ".worklist-done-item")) == 2
    assert numbers(testapp.get("/callcenter/confirmations", params={"call": "not_reached"})) == [
        key(rows["ottica"])]
    assert sorted(numbers(testapp.get("/callcenter/confirmations", params={"call": "open"}))) == [
        key(rows["stranger"])]


def test_confirmation_calls_come_in_pages_that_keep_the_filters(testapp, tenant, tomorrow):
    _stranger, rows = tomorrow
    login(testapp, tenant.operator)
    first = testapp.get("/callcenter/confirmations", params={"client": tenant.client.slug, "per_page": "2"})
    assert len(numbers(first)) == 2
    links = page_links(first)
    assert len(links) == 2
    assert query_of(links[1]) == {"client": tenant.client.slug, "per_page": "2", "page": "2"}
    second = testapp.get(links[1])
    assert sorted(numbers(first) + numbers(second)) == sorted(
        [key(rows["bar"]), key(rows["pizzeria"]), key(rows["ottica"])])
    assert second.html.select_one("#w-client option[selected]")["value"] == tenant.client.slug


def test_an_account_manager_filters_only_the_portfolio(testapp, tenant, tomorrow):
    stranger, rows = tomorrow
    login(testapp, tenant.account_manager)
    page = testapp.get("/callcenter/confirmations")
    assert key(rows["stranger"]) not in numbers(page) or len(numbers(page)) == 3
    assert [option["value"] for option in page.html.select("#w-client option")] == ["", tenant.client.slug]
    assert numbers(testapp.get("/callcenter/confirmations", params={"client": stranger.client.slug})) == []
    assert numbers(testapp.get("/callcenter/confirmations", params={"q": "straniero"})) == []


@pytest.mark.parametrize("name", ["confirmations", "rescheduling", "recoveries"])
@pytest.mark.parametrize("params", [{"per_page": "0"}, {"per_page": "x"}, {"unknown": "1"}, {"q": "x" * 101}])
def test_bad_parameters_are_refused_by_every_worklist(testapp, tenant, name, params):
    login(testapp, tenant.operator)
    testapp.get(f"/callcenter/{name}", params=params, status=400)


@pytest.mark.parametrize("name", ["confirmations", "rescheduling", "recoveries"])
def test_a_bad_page_number_shows_the_first_page(testapp, tenant, name):
    login(testapp, tenant.operator)
    testapp.get(f"/callcenter/{name}", params={"page": "x"})


def test_bad_filter_values_are_refused(testapp, tenant):
    login(testapp, tenant.operator)
    testapp.get("/callcenter/confirmations", params={"call": "maybe"}, status=400)
    testapp.get("/callcenter/rescheduling", params={"state": "cancelled"}, status=400)
    testapp.get("/callcenter/rescheduling", params={"from": "2026-13-01"}, status=400)
    page = testapp.get("/callcenter/recoveries", params={"from": "2026-12-10", "to": "2026-12-01"}, status=400)
    assert "La data di fine è precedente alla data di inizio." in page.text


# --- Appointments to move ---------------------------------------------------------------------------


@pytest.fixture
def to_move(dbsession, tenant):
    stranger = Tenant(dbsession)
    rows = {
        "early": book(dbsession, tenant, start=THURSDAY_10, name="Bar Centrale"),
        "later": book(dbsession, tenant, start=THURSDAY_10 + timedelta(days=7), name="Pizzeria Rossi"),
        "other": book(dbsession, tenant, start=THURSDAY_10 + timedelta(days=1), agent=tenant.other_agent,
                      postal_code="10121", name="Ottica Verdi"),
        "stranger": book(dbsession, stranger, start=THURSDAY_10, name="Bar Straniero"),
        "untouched": book(dbsession, tenant, start=THURSDAY_10 + timedelta(days=6), name="Bar Tranquillo"),
    }
    for name, appointment in rows.items():
        appointment.needs_rescheduling = name != "untouched"
    rows["later"].state = "confirmed"
    dbsession.flush()
    return stranger, rows


def test_appointments_to_move_are_searched_filtered_and_in_pages(testapp, tenant, to_move):
    stranger, rows = to_move
    login(testapp, tenant.operator)

    def listed(**params):
        return numbers(testapp.get("/callcenter/rescheduling", params=params))

    assert sorted(listed()[:2]) == sorted([key(rows["early"]), key(rows["stranger"])])  # the same start
    assert listed()[2:] == [key(rows["other"]), key(rows["later"])]
    assert listed(q="pizzeria") == [key(rows["later"])]
    assert listed(q="tranquillo") == []
    assert listed(state="confirmed") == [key(rows["later"])]
    assert listed(client=stranger.client.slug) == [key(rows["stranger"])]
    assert listed(agent=tenant.other_agent.slug) == [key(rows["other"])]
    assert listed(client=tenant.client.slug, **{"from": "2026-11-27", "to": "2026-12-02"}) == [key(rows["other"])]
    assert listed(client=tenant.client.slug, to="2026-11-26") == [key(rows["early"])]

    first = testapp.get("/callcenter/rescheduling", params={"client": tenant.client.slug, "per_page": "2"})
    assert numbers(first) == [key(rows["early"]), key(rows["other"])]
    link = page_links(first)[1]
    assert query_of(link) == {"client": tenant.client.slug, "per_page": "2", "page": "2"}
    assert numbers(testapp.get(link)) == [key(rows["later"])]
    empty = testapp.get("/callcenter/rescheduling", params={"q": "nessuno"})
    assert "Nessun appuntamento da spostare corrisponde a questi filtri." in empty.text

    login(testapp, tenant.account_manager)
    assert key(rows["stranger"]) not in listed()
    assert listed(client=stranger.client.slug) == []


# --- Recoveries -------------------------------------------------------------------------------------------


@pytest.fixture
def owed(dbsession, tenant):
    stranger = Tenant(dbsession)
    winter = make_campaign(dbsession, tenant.client, name="Inverno")
    rows = {
        "bar": book(dbsession, tenant, start=THURSDAY_10, name="Bar Centrale"),
        "pizzeria": book(dbsession, tenant, start=THURSDAY_10 + timedelta(hours=2), name="Pizzeria Rossi",
                         campaign=winter),
        "ottica": book(dbsession, tenant, start=THURSDAY_10, agent=tenant.other_agent, postal_code="10121",
                       name="Ottica Verdi"),
        "stranger": book(dbsession, stranger, start=THURSDAY_10, name="Bar Straniero"),
    }
    for days, appointment in enumerate(rows.values()):
        appointment.state = "cancelled"
        dbsession.add(Recovery(campaign_id=appointment.campaign_id, cancelled_appointment_id=appointment.id,
                               state="released", created_at=NOW - timedelta(days=10 - days), released_at=NOW))
    dbsession.flush()
    return stranger, winter, rows


def test_recoveries_are_searched_filtered_and_in_pages(testapp, tenant, owed):
    stranger, winter, rows = owed
    login(testapp, tenant.operator)

    def listed(**params):
        return numbers(testapp.get("/callcenter/recoveries", params=params))

    assert listed() == [key(rows[name]) for name in ("bar", "pizzeria", "ottica", "stranger")]
    assert listed(q="inverno") == [key(rows["pizzeria"])]  # the campaign's name
    assert listed(q="bar") == [key(rows["bar"]), key(rows["stranger"])]
    assert listed(client=tenant.client.slug, campaign=winter.slug) == [key(rows["pizzeria"])]
    assert listed(agent=tenant.other_agent.slug) == [key(rows["ottica"])]
    assert listed(**{"from": "2026-11-15"}) == [key(rows["ottica"]), key(rows["stranger"])]
    assert listed(to="2026-11-13") == [key(rows["bar"])]

    page = testapp.get("/callcenter/recoveries", params={"client": tenant.client.slug})
    assert [option["value"] for option in page.html.select("#w-campaign option")] == [
        "", tenant.campaign.slug, winter.slug]  # "Campaign", "Inverno": by name
    first = testapp.get("/callcenter/recoveries", params={"q": "a", "per_page": "3"})
    link = page_links(first)[1]
    assert query_of(link) == {"q": "a", "per_page": "3", "page": "2"}
    assert listed(q="a", per_page="3") + numbers(testapp.get(link)) == listed(q="a")
    assert "Nessun recupero corrisponde a questi filtri." in testapp.get(
        "/callcenter/recoveries", params={"q": "nessuno"}).text

    login(testapp, tenant.account_manager)
    assert listed() == [key(rows[name]) for name in ("bar", "pizzeria", "ottica")]
    assert listed(client=stranger.client.slug) == []


# --- The API takes the same parameters -----------------------------------------------------------------


def test_the_worklists_api_is_searched_filtered_and_in_pages(api, tenant, tomorrow, clock):
    stranger, rows = tomorrow
    clock.now = NOW
    operator = api(tenant.operator)

    def listed(path, **params):
        answer = operator.get(path, **params).json
        return [f'{item["client"]}/{item["number"]}' for item in answer["items"]], answer

    found, answer = listed("/callcenter/confirmations", client=tenant.client.slug)
    assert sorted(found) == sorted([key(rows["bar"]), key(rows["pizzeria"]), key(rows["ottica"])])
    assert (answer["page"], answer["pages"], answer["total"], answer["per_page"]) == (1, 1, 3, 50)
    assert listed("/callcenter/confirmations", q="rossi")[0] == [key(rows["pizzeria"])]
    assert listed("/callcenter/confirmations", call="done")[0] == []
    first, answer = listed("/callcenter/confirmations", per_page="3")
    second, _answer2 = listed("/callcenter/confirmations", per_page="3", page="2")
    assert (answer["pages"], answer["total"], len(first), len(second)) == (2, 4, 3, 1)
    assert sorted(first + second) == sorted(key(row) for row in rows.values())
    assert listed("/callcenter/confirmations", page="3", per_page="3")[0] == []
    assert listed("/callcenter/confirmations", agent=tenant.other_agent.slug)[0] == [key(rows["ottica"])]
    assert listed("/callcenter/rescheduling", q="bar")[1]["total"] == 0
    assert listed("/callcenter/recoveries", client=stranger.client.slug)[1]["items"] == []
    mine = api(tenant.account_manager).get("/callcenter/confirmations", client=stranger.client.slug).json
    assert mine["items"] == [] and mine["total"] == 0


@pytest.mark.parametrize("path, params, field", [
    ("/callcenter/confirmations", {"call": "maybe"}, "call"),
    ("/callcenter/confirmations", {"per_page": "201"}, "per_page"),
    ("/callcenter/rescheduling", {"from": "yesterday"}, "from"),
    ("/callcenter/rescheduling", {"state": "cancelled"}, "state"),
    ("/callcenter/recoveries", {"from": "2026-12-10", "to": "2026-12-01"}, "to"),
    ("/callcenter/recoveries", {"page": "0"}, "page"),
    ("/callcenter", {"page": "x"}, "page"),
    ("/callcenter", {"campaign": "x"}, "campaign"),
])
def test_the_worklists_api_refuses_bad_parameters(api, tenant, path, params, field):
    error = api(tenant.operator).get(path, status=400, **params).json["error"]
    assert (error["code"], error["field"]) == ("validation_error", field)


def test_the_bookable_campaigns_api_is_searched_and_in_pages(api, tenant, dbsession):
    for number in range(3):
        make_campaign(dbsession, tenant.client, slug=f"lotto-{number}", name=f"Lotto {number}")
    answer = api(tenant.operator).get("/callcenter", q="lotto", per_page="2", page="2").json
    assert [item["slug"] for item in answer["items"]] == ["lotto-2"]
    assert (answer["total"], answer["pages"]) == (3, 2)
