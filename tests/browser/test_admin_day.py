"""The admin's day in chromium: a new client, its campaign with a confirmed step, an agent with a
weekly schedule, and a user of the client, all through the pages."""
from datetime import time

from sqlalchemy import select

from agents.models import Agent, User
from campaigns.models import Campaign, Client
from tests.browser.conftest import login


def submit(page, fields, button):
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_load_state()


def test_admin_creates_a_client_a_campaign_with_a_step_an_agent_and_a_user(new_page, server):
    page = new_page()
    login(page, "admin@demo.example")

    page.goto("/clients/add")
    submit(page, {"Nome breve negli indirizzi": "acme", "Nome": "Acme Infissi"}, "Crea")
    assert page.url.rstrip("/").endswith("/clients/acme")

    page.goto("/clients/acme/campaigns/add")
    submit(page, {"Nome breve negli indirizzi": "primavera", "Nome": "Primavera 2027"}, "Crea")
    assert "/clients/acme/campaigns/primavera" in page.url
    page.locator("#step-add").click()
    submit(page, {"Appuntamenti acquistati": "120"}, "Salva")
    page.get_by_role("button", name="Conferma", exact=True).click()
    page.locator(".alert-success").wait_for()

    page.goto("/clients/acme/agents/add")
    submit(page, {"Nome breve negli indirizzi": "gallo", "Nome": "Pietro Gallo"}, "Aggiungi")
    assert page.url.endswith("/clients/acme/agents/gallo/edit-schedule")
    page.locator("input[name='start-0-0']").fill("08:30")  # Monday morning, the form offers 09:00-13:00
    page.locator("input[name='end-0-0']").fill("12:30")
    page.get_by_role("button", name="Salva l'orario").click()
    page.locator(".alert-success").wait_for()

    page.goto("/clients/acme/users")
    submit(page, {"E-mail": "ufficio@acme.example", "Nome": "Ufficio Acme", "Password": "una-password-lunga"},
           "Aggiungi")
    page.locator(".alert-success").wait_for()

    with server.session() as session:
        client = session.execute(select(Client).where(Client.slug == "acme")).scalar_one()
        campaign = session.execute(select(Campaign).where(Campaign.client_id == client.id)).scalar_one()
        agent = session.execute(select(Agent).where(Agent.client_id == client.id)).scalar_one()
        user = session.execute(select(User).where(User.email == "ufficio@acme.example")).scalar_one()
        assert (campaign.slug, campaign.purchased) == ("primavera", 120)
        monday = sorted((i.start_time, i.end_time) for i in agent.schedule if i.weekday == 0)
        assert monday[0] == (time(8, 30), time(12, 30))
        assert (user.role, user.client_id) == ("client", client.id)
