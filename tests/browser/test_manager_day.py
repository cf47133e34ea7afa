"""The account manager's day in chromium at 1366 x 768: the dashboard fits the laptop (its burn-down
in view), a campaign's page, and the pending cancellation request followed from the dashboard."""
from sqlalchemy import select

from agents.models import User
from callcenter.lifecycle import services as lifecycle
from callcenter.appointments.models import Appointment
from tests.browser.conftest import LAPTOP, login
from tests.conftest import NOW


def pending_request(server):
    """A client's request waiting for its decision, as the client's folder would file it."""
    with server.session() as session:
        client_user = session.execute(select(User).where(User.email == "cliente@demo.example")).scalar_one()
        appointment = session.execute(select(Appointment).where(Appointment.state == "to_confirm")
                                      .order_by(Appointment.start_at)).scalars().first()
        lifecycle.request_cancellation(session, appointment, reason="duplicate", notes="Doppione del 12",
                                       actor=client_user, now=NOW)
        session.commit()
        return appointment.number


def test_manager_reads_the_dashboard_and_decides_the_pending_request(new_page, server):
    number = pending_request(server)
    page = new_page(viewport=LAPTOP)
    login(page, "manager@demo.example")
    assert page.url.rstrip("/").endswith("/dashboard")
    row = page.locator("tr[data-campaign='demo/serramenti-2026']")
    assert row.locator("[data-col='purchased']").inner_text() == "200"
    assert row.locator("[data-col='taken']").inner_text() == "189"
    chart = row.locator("svg.burn-down").bounding_box()
    assert chart is not None and chart["x"] + chart["width"] <= LAPTOP["width"], chart
    table = page.locator("#dashboard").evaluate("t => [t.parentElement.scrollWidth, t.parentElement.clientWidth]")
    assert table[0] <= table[1], f"the dashboard scrolls inside itself at 1366 px: {table}"

    row.locator("[data-col='campaign'] a, td:nth-child(2) a").first.click()
    assert "/campaigns/serramenti-2026" in page.url
    page.go_back()

    page.locator("tr[data-campaign='demo/serramenti-2026'] [data-col='pending_requests'] a").click()
    page.locator(f"a[href$='/appointments/{number}']").first.wait_for()
    page.goto(f"/clients/demo/appointments/{number}")
    page.get_by_role("button", name="Approva l'annullamento").click()
    page.locator(".alert-success").wait_for()

    page.goto("/dashboard")
    assert page.locator("tr[data-campaign='demo/serramenti-2026'] [data-col='taken']").inner_text() == "188"
