"""The operators' campaign list: searched on the server by client or campaign name, in pages (README "What it does", lists that pass a screen)."""
from portal.listing import PER_PAGE as WORKSPACE_PAGE
from tests.factories import make_campaign, make_client, make_user
from tests.functional.conftest import login


def listed(page):
    return [row["data-campaign"] for row in page.html.select("tr[data-campaign]")]


def test_the_search_keeps_the_campaigns_whose_client_or_name_has_every_word(testapp, dbsession):
    operator = make_user(dbsession, "operator")
    rossi = make_client(dbsession, slug="infissi-rossi", name="Infissi Rossi")
    verdi = make_client(dbsession, slug="verdi-energia", name="Verdi Energia")
    make_campaign(dbsession, rossi, slug="primavera", name="Primavera 2027")
    make_campaign(dbsession, rossi, slug="autunno", name="Autunno 2027")
    make_campaign(dbsession, verdi, slug="fotovoltaico", name="Fotovoltaico Primavera")
    login(testapp, operator)

    assert set(listed(testapp.get("/callcenter/", params={"q": "primavera"}))) == {
        "infissi-rossi/primavera", "verdi-energia/fotovoltaico"}
    assert listed(testapp.get("/callcenter/", params={"q": "ROSSI primav"})) == ["infissi-rossi/primavera"]
    assert listed(testapp.get("/callcenter/", params={"q": "verdi-energia"})) == ["verdi-energia/fotovoltaico"]
    page = testapp.get("/callcenter/", params={"q": "100%_"})  # wildcards are searched as plain text
    assert listed(page) == []
    assert "Nessuna campagna aperta alle prenotazioni corrisponde a questa ricerca." in page.text
    assert page.html.select_one("#campaign-q")["value"] == "100%_"


def test_the_list_comes_in_pages_that_keep_the_search(testapp, dbsession):
    operator = make_user(dbsession, "operator")
    client = make_client(dbsession, slug="molte-campagne", name="Molte Campagne")
    for number in range(WORKSPACE_PAGE + 2):
        make_campaign(dbsession, client, slug=f"lotto-{number:02d}", name=f"Lotto {number:02d}")
    login(testapp, operator)

    first = testapp.get("/callcenter/", params={"q": "lotto"})
    assert len(listed(first)) == WORKSPACE_PAGE
    links = [link["href"] for link in first.html.select("#campaign-pages a.page-link")]
    assert len(links) == 2 and "q=lotto" in links[1] and "page=2" in links[1]
    second = testapp.get(links[1])
    assert listed(second) == ["molte-campagne/lotto-25", "molte-campagne/lotto-26"]
    assert listed(testapp.get("/callcenter/", params={"q": "lotto", "page": "99"})) == listed(second)
    assert len(listed(testapp.get("/callcenter/", params={"q": "lotto", "page": "x"}))) == WORKSPACE_PAGE


def test_the_clients_list_is_searched_and_in_pages_within_the_portfolio(testapp, dbsession):
    manager = make_user(dbsession, "account_manager")
    other = make_user(dbsession, "account_manager")
    for number in range(WORKSPACE_PAGE + 1):
        make_client(dbsession, slug=f"serramenti-{number:02d}", name=f"Serramenti {number:02d}", account_manager=manager)
    make_client(dbsession, slug="serramenti-altrui", name="Serramenti altrui", account_manager=other)
    make_client(dbsession, slug="porte-nord", name="Porte Nord", account_manager=manager)
    login(testapp, manager)

    def clients(**params):
        page = testapp.get("/clients/", params=params)
        return [row["data-client"] for row in page.html.select("tr[data-client]")], page

    first, page = clients(q="serramenti")
    assert len(first) == WORKSPACE_PAGE and "serramenti-altrui" not in first  # another portfolio stays hidden
    second, _page = clients(q="serramenti", page="2")
    assert second == [f"serramenti-{WORKSPACE_PAGE:02d}"]
    assert clients(q="nord")[0] == ["porte-nord"]
    nothing, page = clients(q="altrui")
    assert nothing == [] and "Nessun cliente corrisponde a questa ricerca." in page.text


def test_the_agents_list_is_searched_and_counted_in_pages_by_the_database(testapp, dbsession):
    from tests.factories import make_agent

    manager = make_user(dbsession, "account_manager")
    client = make_client(dbsession, slug="molti-agenti", account_manager=manager)
    for number in range(WORKSPACE_PAGE + 1):
        make_agent(dbsession, client, slug=f"agente-{number:02d}", name=f"Agente {number:02d}")
    make_agent(dbsession, client, slug="bruno", name="Carla Bruno", email="carla.bruno@example.test")
    login(testapp, manager)

    def agents(**params):
        page = testapp.get("/clients/molti-agenti/agents/", params=params)
        return [row["data-agent"] for row in page.html.select("tr[data-agent]")], page

    first, page = agents()
    assert len(first) == WORKSPACE_PAGE
    assert len(page.html.select("#agent-pages a.page-link")) == 2
    assert agents(page="2")[0] == ["agente-25", "bruno"]  # ordered by name: Agente 00..25, then Carla Bruno
    assert agents(q="carla.bruno@")[0] == ["bruno"]
    assert agents(q="agente 07")[0] == ["agente-07"]
    nothing, page = agents(q="nessuno")
    assert nothing == [] and "Nessun agente corrisponde a questa ricerca." in page.text
