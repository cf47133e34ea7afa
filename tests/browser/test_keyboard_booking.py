"""The booking wizard done with the keyboard alone, and its errors announced (README "Browser tests", accessible)."""
from datetime import datetime

from sqlalchemy import select

from callcenter.appointments.models import Appointment
from tests.browser.conftest import login

BOOK_BUTTON = "e => e.tagName === 'BUTTON' && e.type === 'submit' && e.textContent.trim() === 'Prenota'"
FOCUSED = "() => { const e = document.activeElement; return e ? (e.name || e.id || e.className) : null; }"


def tab_to(page, test, limit=80):
    """Presses Tab until the focused element passes ``test`` (a JavaScript predicate on it)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const e = document.activeElement; return !!e && ({test})(e); }}"):
            return
    raise AssertionError(f"Tab never reached {test}; focus on {page.evaluate(FOCUSED)}")


def test_the_wizard_is_done_with_the_keyboard_and_its_errors_are_announced(new_page, server):
    page = new_page()
    login(page, "operatore@demo.example")
    page.goto("/clients/demo/campaigns/serramenti-2026/book")
    assert page.evaluate(FOCUSED) == "postal_code"  # the first step starts in its only field
    page.keyboard.type("20121")
    page.keyboard.press("Enter")
    page.locator(".agent-week").first.wait_for()

    tab_to(page, "e => e.classList.contains('slot-free')")
    start = page.evaluate("() => document.activeElement.value")
    page.keyboard.press("Enter")
    page.locator("#held-slot").wait_for()

    # A name too short and a phone that is none: the errors are an alert, each field says it is
    # invalid and why, and the first one has the focus.
    tab_to(page, "e => e.name === 'prospect_name'")
    page.keyboard.type("L")
    tab_to(page, "e => e.name === 'prospect_phone'")
    page.keyboard.type("chiamare dopo")
    tab_to(page, "e => e.tagName === 'SELECT' && e.name.endsWith('window_type')")
    page.keyboard.type("Alluminio")
    tab_to(page, BOOK_BUTTON)
    page.keyboard.press("Enter")
    page.locator("form .alert-danger[role=alert]").wait_for()
    for field in ("prospect_name", "prospect_phone"):
        element = page.locator(f"input[name='{field}']")
        assert element.get_attribute("aria-invalid") == "true", field
        message = page.locator("#" + element.get_attribute("aria-describedby").split()[-1])
        assert message.inner_text().strip(), field
    assert page.evaluate(FOCUSED) == "prospect_name"

    page.keyboard.press("Control+A")
    page.keyboard.type("Luca Neri")
    tab_to(page, "e => e.name === 'prospect_phone'")
    page.keyboard.press("Control+A")
    page.keyboard.type("+39 02 1112223")
    tab_to(page, BOOK_BUTTON)
    page.keyboard.press("Enter")
    page.locator(".alert-success").wait_for()

    with server.session() as session:
        booked = session.execute(select(Appointment).where(Appointment.prospect_name == "Luca Neri")).scalar_one()
        assert booked.fields["window_type"] == "Alluminio"
        assert booked.start_at == datetime.fromisoformat(start)
