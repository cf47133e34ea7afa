"""Read-only navigation to the folders below (spec §3, §4, §6): the client folder links its campaigns (with their
counts), zones and agents; a manager of several zones switches between them; the lists follow the ACLs."""
import pytest
from sqlalchemy import event

from tests.factories import Tenant, make_agent, make_campaign, make_user, make_zone
from tests.functional.conftest import login


def client_url(tenant):
    return f"/clients/{tenant.client.slug}/"


def links(page, selector):
    return [a["href"].removeprefix("http://localhost") for a in page.html.select(selector + " a")]


@pytest.mark.parametrize("role", ["client", "account_manager", "admin", "operator"])
def test_the_client_folder_links_its_campaigns_zones_and_agents(testapp, tenant, role):
    login(testapp, tenant.user(role))
    page = testapp.get(client_url(tenant))
    row = page.html.select_one(f'#campaign-links li[data-campaign="{tenant.campaign.slug}"]')
    assert {cell["data-col"]: cell.get_text(strip=True) for cell in row.select("[data-col]")} == {
        "purchased": "10", "taken": "0", "to_confirm": "0", "cancelled": "0"}
    base = client_url(tenant)
    assert links(page, "#campaign-links") == [f"{base}campaigns/{tenant.campaign.slug}/"]
    assert sorted(links(page, "#zone-links")) == sorted(
        f"{base}zones/{zone.slug}/" for zone in (tenant.zone, tenant.other_zone))
    assert sorted(links(page, "#agent-links")) == sorted(
        f"{base}agents/{agent.slug}/" for agent in (tenant.agent, tenant.other_agent))
    for link in links(page, "#subfolders"):
        testapp.get(link, status=200)


@pytest.mark.parametrize("role", ["client", "operator"])
def test_the_lists_of_zones_and_agents_are_read_only_for_who_may_not_manage(testapp, tenant, role):
    login(testapp, tenant.user(role))
    zones = testapp.get(client_url(tenant) + "zones/")
    assert zones.html.select(f'#zone-list tr[data-zone="{tenant.zone.slug}"] a')
    assert "deform" not in zones.forms and not zones.html.find("a", href=lambda href: href and "/edit" in href)
    agents = testapp.get(client_url(tenant) + "agents/")
    assert agents.html.select(f'#agent-list tr[data-agent="{tenant.agent.slug}"] a')
    assert not agents.html.select("#agent-add") and not agents.html.select("#agent-list form")
    testapp.get(zones.html.select_one("#zone-list a")["href"], status=200)
    testapp.get(agents.html.select_one("#agent-list a")["href"], status=200)


def test_the_account_manager_still_manages_from_the_lists(testapp, tenant):
    login(testapp, tenant.account_manager)
    assert "deform" in testapp.get(client_url(tenant) + "zones/").forms
    assert testapp.get(client_url(tenant) + "agents/").html.select("#agent-add")


@pytest.mark.parametrize("role", ["zone_manager", "agent", "stranger", "other_account_manager"])
def test_who_does_not_see_the_client_folder_gets_403_on_its_lists(testapp, dbsession, tenant, role):
    if role == "stranger":
        user = Tenant(dbsession).client_user
    elif role == "other_account_manager":
        user = make_user(dbsession, "account_manager")
    else:
        user = tenant.user(role)
    login(testapp, user)
    for path in ("", "zones/", "agents/"):
        testapp.get(client_url(tenant) + path, status=403)


def test_a_manager_of_several_zones_switches_between_them_and_reaches_their_agents(testapp, dbsession, tenant):
    north = make_zone(dbsession, tenant.client, slug="north", name="Alpha north")
    north_agent = make_agent(dbsession, tenant.client, zones=[north], slug="bianchi")
    manager = make_user(dbsession, "zone_manager", client=tenant.client, zones=[tenant.zone, north])
    login(testapp, manager)
    home = testapp.get("/", status=302).follow()
    base = client_url(tenant)
    assert links(home, "#my-zones") == [f"{base}zones/north/", f"{base}zones/{tenant.zone.slug}/"]
    assert home.html.select_one("#my-zones a.active")["href"].rstrip("/").endswith(home.request.path.rstrip("/"))
    other = testapp.get(f"{base}zones/north/")
    assert other.html.select_one("#my-zones a.active")["data-zone"] == "north"
    assert links(other, "#agent-links") == [f"{base}agents/bianchi/"]
    agent_page = testapp.get(f"{base}agents/{north_agent.slug}/")
    assert len(links(agent_page, "#my-zones")) == 2  # the switch is on his agents' folders too
    testapp.get(f"{base}zones/{tenant.other_zone.slug}/", status=403)  # not one of his


def test_a_manager_of_one_zone_has_no_switch_but_the_zones_agents(testapp, tenant):
    login(testapp, tenant.zone_manager)
    page = testapp.get("/", status=302).follow()
    assert not page.html.select("#my-zones")
    assert links(page, "#agent-links") == [f"{client_url(tenant)}agents/{tenant.agent.slug}/"]


def test_the_client_folder_home_queries_do_not_grow_with_its_subfolders(testapp, dbsession, connection, tenant):
    login(testapp, tenant.client_user)
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    testapp.get(client_url(tenant))  # warm the session
    event.listen(connection, "before_cursor_execute", count)
    try:
        testapp.get(client_url(tenant))
        few = len(statements)
        for number in range(4):
            zone = make_zone(dbsession, tenant.client)
            make_agent(dbsession, tenant.client, zones=[zone])
            make_campaign(dbsession, tenant.client, purchased=3)
        dbsession.flush()
        statements.clear()
        page = testapp.get(client_url(tenant))
        assert len(page.html.select("#campaign-links li")) == 5
        assert len(statements) == few
    finally:
        event.remove(connection, "before_cursor_execute", count)
