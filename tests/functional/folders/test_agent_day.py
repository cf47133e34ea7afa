"""The agent's folder home on a phone (spec §6): today's meetings still to come, then tomorrow's,
first on the page, each with big confirm and postpone buttons for who may use them."""
from datetime import timedelta

from callcenter.appointments.models import Appointment
from tests.conftest import NOW
from tests.functional.lifecycle.test_lifecycle_pages import (
    THURSDAY_10,
    TUESDAY_10,
    book,
    login,
)

EARLIER = NOW - timedelta(days=7)
MONDAY_15 = NOW + timedelta(hours=6)  # today, 15:00 in Rome
MONDAY_9 = NOW  # today, over by noon


def agent_folder(tenant):
    return f"/clients/{tenant.client.slug}/agents/{tenant.agent.slug}/"


def test_the_agent_sees_today_then_tomorrow_first_and_confirms_from_there(testapp, dbsession, tenant, clock):
    today = book(dbsession, tenant, start=MONDAY_15, now=EARLIER, name="Bar Oggi")
    book(dbsession, tenant, start=MONDAY_9, now=EARLIER, name="Bar Passato")
    tomorrow = book(dbsession, tenant, start=TUESDAY_10, now=EARLIER, name="Bar Domani")
    book(dbsession, tenant, start=THURSDAY_10, name="Bar Giovedì")
    book(dbsession, tenant, start=TUESDAY_10, agent=tenant.other_agent, postal_code="10121", now=EARLIER)
    clock.now = NOW + timedelta(hours=3)  # noon
    login(testapp, tenant.agent_user)
    page = testapp.get(agent_folder(tenant))

    days = page.html.select("#agent-day .agent-day")
    assert [day["data-day"] for day in days] == ["2026-11-23", "2026-11-24"]
    assert [[int(item["data-number"]) for item in day.select(".agent-meeting")] for day in days] == [
        [today.number], [tomorrow.number]]
    assert "Oggi" in days[0].text and "Domani" in days[1].text
    assert page.text.index('id="agent-day"') < page.text.index('data-count="taken"')  # before the boxes
    meeting = days[0].select_one(".agent-meeting")
    assert meeting.select_one("a.btn-lg[href$='#postpone']") is not None
    assert meeting.select_one("a[href^='tel:']") is not None

    form = page.forms[next(index for index, form in page.forms.items()
                       if form.action.endswith(f"/appointments/{today.number}/confirm"))]
    landed = form.submit(status=302).follow(status=302).follow()
    assert landed.request.path.rstrip("/") == agent_folder(tenant).rstrip("/")
    assert "Appuntamento confermato." in landed.text
    dbsession.expire_all()
    assert dbsession.get(Appointment, today.id).state == "confirmed"
    meeting = landed.html.select_one(f"#agent-day .agent-meeting[data-number='{today.number}']")
    assert meeting["data-state"] == "confirmed" and meeting.select_one("button") is None


def test_an_empty_day_says_so_and_who_may_not_confirm_sees_no_button(testapp, dbsession, tenant):
    book(dbsession, tenant, start=TUESDAY_10, now=EARLIER)
    login(testapp, tenant.client_user)
    page = testapp.get(agent_folder(tenant))
    days = page.html.select("#agent-day .agent-day")
    assert days[0].select_one(".agent-day-empty").text.strip() == "Nessun appuntamento."
    assert len(days[1].select(".agent-meeting")) == 1 and days[1].select("button, a.btn-outline-primary") == []
    zone = testapp.get(f"/clients/{tenant.client.slug}/zones/{tenant.zone.slug}/")
    assert zone.html.select_one("#agent-day") is None
