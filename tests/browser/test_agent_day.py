"""The agent's day on a phone (390 x 844): tomorrow's meetings first, confirm one, postpone another,
declare an unavailability and meet the 8 days' notice refusal (rules 2 and 6)."""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlalchemy import select

from agents.availability import public_holidays
from agents.models import Agent, ClosedDay
from callcenter.appointments.models import Appointment
from tests.browser.conftest import PHONE, login

ROME = ZoneInfo("Europe/Rome")


def rossi_to_confirm(session):
    agent = session.execute(select(Agent).where(Agent.slug == "rossi")).scalar_one()
    return agent, session.execute(
        select(Appointment).where(Appointment.agent_id == agent.id, Appointment.state == "to_confirm")
        .order_by(Appointment.start_at)
    ).scalars().all()


def free_morning(session, agent, after):
    """A working day after ``after`` (no holiday, no closed day) when the agent has no 09:00
    meeting: 09:00 is free to move to."""
    starts = {appointment.start_at.astimezone(ROME) for appointment in session.execute(
        select(Appointment).where(Appointment.agent_id == agent.id, Appointment.state.in_(("to_confirm", "confirmed")))
    ).scalars()}
    closed = set(session.execute(select(ClosedDay.day).where(ClosedDay.client_id == agent.client_id)).scalars())
    day = after + timedelta(days=1)
    while day.weekday() >= 5 or day in public_holidays("IT", day.year) or day in closed or \
            datetime.combine(day, time(9), ROME) in starts:
        day += timedelta(days=1)
    return datetime.combine(day, time(9), ROME)


def fill_local(page, label, moment):
    page.get_by_label(label, exact=True).fill(moment.strftime("%Y-%m-%dT%H:%M"))


def test_agent_confirms_postpones_and_declares_an_unavailability_on_a_phone(new_page, server):
    with server.session() as session:
        agent, waiting = rossi_to_confirm(session)
        first, second = waiting[0], waiting[1]
        tomorrow = first.start_at.astimezone(ROME).date()
        # The morning before the first meeting still to confirm: it is one of tomorrow's meetings.
        server.clock.now = datetime.combine(tomorrow - timedelta(days=1), time(8), ROME)
        target = free_morning(session, agent, second.start_at.astimezone(ROME).date())

    page = new_page(viewport=PHONE)
    login(page, "agente.rossi@demo.example")
    assert "/agents/rossi" in page.url
    # The day's list comes first: today, then tomorrow, the meeting at the top of the screen.
    day = page.locator("#agent-day")
    assert day.bounding_box()["y"] < page.locator("[data-count='taken']").bounding_box()["y"]
    tomorrows = day.locator(".agent-day").nth(1)
    assert first.prospect_name in tomorrows.inner_text()
    meeting = tomorrows.locator(f".agent-meeting[data-number='{first.number}']")
    assert meeting.is_visible()
    confirm = meeting.get_by_role("button", name=f"Conferma {first.prospect_name}")
    postpone = meeting.get_by_role("link", name=f"Sposta {first.prospect_name}")
    for button in (confirm, postpone):  # big enough for a thumb
        box = button.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 88
    assert first.prospect_name in page.locator("#upcoming").inner_text()

    confirm.click()
    page.locator(".alert-success").wait_for()
    assert "/agents/rossi" in page.url  # back to the day's list
    expect(meeting).to_have_attribute("data-state", "confirmed")

    page.goto(f"/clients/demo/appointments/{second.number}")
    postpone = page.locator("#postpone")
    fill_local(postpone, "Nuova data e ora", target)
    postpone.get_by_role("button").click()
    page.locator(".alert-success").wait_for()

    page.goto("/clients/demo/agents/rossi/")
    form = page.locator("#unavailability-form")
    soon = datetime.combine(tomorrow + timedelta(days=2), time(9), ROME)
    fill_local(form, "Dal", soon)
    fill_local(form, "Fino a", soon + timedelta(hours=4))
    form.get_by_role("button", name="Comunica l'indisponibilità").click()
    refusal = page.get_by_text("Un'indisponibilità va comunicata almeno 8 giorni prima del suo inizio.")
    refusal.first.wait_for()

    form = page.locator("#unavailability-form")
    later = soon + timedelta(days=14)
    fill_local(form, "Dal", later)
    fill_local(form, "Fino a", later + timedelta(hours=4))
    form.get_by_role("button", name="Comunica l'indisponibilità").click()
    page.locator(".alert-success").wait_for()

    with server.session() as session:
        states = dict(session.execute(select(Appointment.number, Appointment.state).where(
            Appointment.number.in_((first.number, second.number)))).all())
        moved = session.execute(select(Appointment.start_at).where(Appointment.number == second.number)).scalar_one()
    assert states == {first.number: "confirmed", second.number: "to_confirm"}
    assert moved == target
