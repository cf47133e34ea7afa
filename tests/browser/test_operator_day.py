"""The operator's day in chromium: find the campaign, hold a free slot, fill the prospect and the
campaign's required field, book; a second browser meets the refusal for the slot taken meanwhile."""
from playwright.sync_api import expect
from sqlalchemy import select

from callcenter.appointments.models import Appointment
from tests.browser.conftest import login

CAMPAIGN = "demo/serramenti-2026"


def open_week(page, postal_code="20121"):
    page.goto("/callcenter/")
    page.locator(f"tr[data-campaign='{CAMPAIGN}'] a").click()
    page.get_by_label("CAP").fill(postal_code)
    page.get_by_label("CAP").press("Enter")  # the wizard works from the keyboard too
    page.locator(".agent-week").first.wait_for()


def test_operator_books_a_slot_and_a_second_browser_is_refused_it(new_page, server):
    first, second = new_page(), new_page()
    for page in (first, second):
        login(page, "operatore@demo.example")
        open_week(page)
    slot = first.locator(".agent-week[data-agent='rossi'] button.slot-free").first
    start = slot.get_attribute("value")
    slot.click()

    first.get_by_label("Nome").fill("Carla Neri")
    first.get_by_label("Telefono").fill("+39 02 7654321")
    first.get_by_label("Tipo di serramento").select_option("Legno")
    first.get_by_role("button", name="Prenota").click()
    first.locator(".alert-success").wait_for()
    assert "Appuntamento n." in first.locator(".alert-success").inner_text()
    number = int(first.url.rstrip("/").rsplit("/", 1)[1])

    # The second operator still sees the slot free in the week loaded before: it is refused.
    stale = second.locator(f".agent-week[data-agent='rossi'] button.slot-free[value='{start}']")
    stale.click()
    error = second.locator("#wizard-error")
    error.wait_for()
    assert "L'agente ha già un appuntamento in questo orario." in error.inner_text()
    assert second.locator(f".agent-week[data-agent='rossi'] button.slot-free[value='{start}']").count() == 0

    with server.session() as session:
        appointment = session.execute(select(Appointment).where(Appointment.number == number)).scalar_one()
        assert (appointment.prospect_name, appointment.state) == ("Carla Neri", "to_confirm")
        assert appointment.fields["window_type"] == "Legno"


def test_the_campaign_list_answers_a_search_as_one_types(new_page, server):
    from campaigns.models import Client
    from tests.factories import make_campaign, make_client

    with server.session() as session:
        demo = session.execute(select(Client).where(Client.slug == "demo")).scalar_one()
        make_campaign(session, demo, slug="porte-blindate", name="Porte blindate 2027", purchased=30)
        make_campaign(session, make_client(session, slug="verdi-energia", name="Verdi Energia"),
                      slug="fotovoltaico", name="Fotovoltaico", purchased=50)
        session.commit()
    page = new_page()
    login(page, "operatore@demo.example")
    page.goto("/callcenter/")
    rows = page.locator("#campaign-rows tr[data-campaign]")
    assert rows.count() == 3
    page.get_by_label("Cerca un cliente o una campagna").press_sequentially("blind", delay=50)
    expect(rows).to_have_count(1)  # no string evaluation: the portal's CSP forbids eval
    assert rows.first.get_attribute("data-campaign") == "demo/porte-blindate"
    assert "q=blind" in page.url  # the address keeps the search: reloading shows the same list
    page.get_by_label("Cerca un cliente o una campagna").fill("verdi")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-campaign", "verdi-energia/fotovoltaico")
    rows.first.get_by_role("link").click()
    assert page.url.endswith("/clients/verdi-energia/campaigns/fotovoltaico/book")
