"""The lists of people pass a screen (README "What it does"): agents and users searched, filtered and cut into pages by the
database, the filters kept by the page links, a bad filter refused."""
from urllib.parse import parse_qs, urlsplit

from portal.listing import PER_PAGE
from tests.factories import make_agent, make_user
from tests.functional.conftest import login


def listed(page, attribute):
    return [row[f"data-{attribute}"] for row in page.html.select(f"tr[data-{attribute}]")]


def query_of(link):
    return {key: values[0] for key, values in parse_qs(urlsplit(link).query).items()}


def test_the_agents_list_filters_by_zone_and_state_and_keeps_them_in_its_pages(testapp, dbsession, tenant):
    for number in range(PER_PAGE + 1):
        make_agent(dbsession, tenant.client, zones=[tenant.other_zone], slug=f"nord-{number:02d}",
                   name=f"Nord {number:02d}")
    retired = make_agent(dbsession, tenant.client, zones=[tenant.zone], slug="ritirato", name="Ritirato")
    retired.active = False
    dbsession.flush()
    login(testapp, tenant.account_manager)
    path = f"/clients/{tenant.client.slug}/agents/"

    assert set(listed(testapp.get(path, params={"zone": tenant.zone.slug}), "agent")) == {tenant.agent.slug,
                                                                                        "ritirato"}
    assert listed(testapp.get(path, params={"state": "inactive"}), "agent") == ["ritirato"]
    first = testapp.get(path, params={"zone": tenant.other_zone.slug, "state": "active"})
    assert len(listed(first, "agent")) == PER_PAGE
    link = first.html.select("#agent-pages a.page-link")[-1]["href"]
    assert query_of(link) == {"zone": tenant.other_zone.slug, "state": "active", "page": "2"}
    # the zone's own agent ("Agent-…") comes first by name: the last two of the zone are on page 2
    assert listed(testapp.get(link), "agent") == [f"nord-{PER_PAGE - 1:02d}", f"nord-{PER_PAGE:02d}"]
    assert first.html.select_one("#agent-search-zone option[selected]")["value"] == tenant.other_zone.slug
    assert "Nessun agente corrisponde a questa ricerca." in testapp.get(
        path, params={"q": "nord", "zone": tenant.zone.slug}).text
    testapp.get(path, params={"state": "retired"}, status=400)
    testapp.get(path, params={"zone": "not-a-zone"}, status=400)


def test_the_staff_list_is_searched_filtered_and_in_pages(testapp, dbsession, tenant):
    for number in range(PER_PAGE + 1):
        make_user(dbsession, "operator", email=f"operatore-{number:02d}@example.test")
    gone = make_user(dbsession, "account_manager", email="ex-manager@example.test")
    gone.active = False
    dbsession.flush()
    login(testapp, tenant.admin)

    def users(**params):
        page = testapp.get("/users/", params=params)
        return listed(page, "user"), page

    found, page = users(q="operatore", role="operator")
    assert len(found) == PER_PAGE
    link = page.html.select("#user-pages a.page-link")[-1]["href"]
    assert query_of(link) == {"q": "operatore", "role": "operator", "page": "2"}
    assert listed(testapp.get(link), "user") == [f"operatore-{PER_PAGE:02d}@example.test"]
    assert users(state="inactive")[0] == ["ex-manager@example.test"]
    assert users(role="account_manager", state="active")[0] == [tenant.account_manager.email]
    assert tenant.client_user.email not in users(q="example")[0]  # a client's login is not staff
    nothing, page = users(q="nessuno")
    assert nothing == [] and "Nessun utente corrisponde a questa ricerca." in page.text
    testapp.get("/users/", params={"role": "client"}, status=400)


def test_the_client_users_list_is_searched_and_filtered(testapp, dbsession, tenant):
    login(testapp, tenant.account_manager)
    path = f"/clients/{tenant.client.slug}/users"
    page = testapp.get(path, params={"role": "zone_manager"})
    assert listed(page, "user") == [tenant.zone_manager.email]
    assert page.html.select_one("#user-search")["action"].endswith(path)
    assert listed(testapp.get(path, params={"q": tenant.agent_user.email}), "user") == [tenant.agent_user.email]
    testapp.get(path, params={"role": "admin"}, status=400)
