"""The agents' and zone managers' private calendar feeds (spec §4), through the web app."""
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import webtest
from icalendar import Calendar

from callcenter.lifecycle import services as lifecycle
from callcenter.booking.services import book_appointment
from callcenter.feeds.services import digest_of
from callcenter.feeds.models import CalendarFeed
from tests.conftest import NOW
from agents.services import replace_schedule
from tests.factories import Tenant, make_agent, make_user
from tests.functional.conftest import login

ROME = ZoneInfo("Europe/Rome")
UTC = timezone.utc
EVERY_DAY_9_TO_18 = [{"weekday": day, "start": time(9), "end": time(18)} for day in range(7)]
PROSPECT = {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}
THURSDAY_10 = datetime(2026, 11, 26, 10, 0, tzinfo=ROME)


@pytest.fixture
def tenant(dbsession):
    tenant = Tenant(dbsession, purchased=20)
    replace_schedule(tenant.agent, EVERY_DAY_9_TO_18)
    dbsession.flush()
    return tenant


def book(dbsession, tenant, start, agent=None, now=NOW, name="Bar Centrale", **kw):
    agent = agent or tenant.agent
    prospect = {**PROSPECT, "name": name, "postal_code": agent.zones[0].postal_codes[0]}  # the agent's zone
    return book_appointment(dbsession, campaign=tenant.campaign, agent=agent,
                            start=start.astimezone(UTC), prospect=prospect,
                            booked_by=tenant.operator, now=now, **kw)


def subscribe(testapp, user, folder_url):
    login(testapp, user)
    page = testapp.get(folder_url)
    form = next(form for form in page.forms.values() if form.action.endswith("calendar-feed")
                and form["action"].value == "create")
    shown = form.submit()
    url = shown.html.find(id="feed-url")["value"]
    testapp.post("/logout", {"csrf_token": shown.forms[0]["csrf_token"].value})
    return url


def fetch(app, url, status=200):
    """A calendar app: no session, no cookie, just the URL."""
    anonymous = webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    return anonymous.get(url.replace("http://localhost", ""), status=status)


def events_of(response):
    calendar = Calendar.from_ical(response.body)
    return calendar, {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def agent_url(tenant, agent=None):
    return f"/clients/{tenant.client.slug}/agents/{(agent or tenant.agent).slug}/"


def test_the_agents_feed_parses_and_lists_the_agents_appointments(app, testapp, dbsession, tenant):
    mine = book(dbsession, tenant, THURSDAY_10)
    book(dbsession, tenant, THURSDAY_10, agent=tenant.other_agent, name="Not mine")
    url = subscribe(testapp, tenant.agent_user, agent_url(tenant))
    assert url.startswith("http://localhost/feeds/") and url.endswith(".ics")

    response = fetch(app, url)
    assert response.content_type == "text/calendar"
    calendar, events = events_of(response)
    uid = f"appointment-{tenant.client.slug}-{mine.number}@localhost"
    assert list(events) == [uid]
    event = events[uid]
    assert str(event["STATUS"]) == "TENTATIVE"
    assert str(event["SUMMARY"]) == "Bar Centrale · Campaign"
    assert str(event["LOCATION"]) == "20121"
    assert "+39 02 1234567" in str(event["DESCRIPTION"])
    assert event["DTSTART"].dt == THURSDAY_10 and event["DTSTART"].params["TZID"] == "Europe/Rome"
    assert event["DTEND"].dt == THURSDAY_10 + timedelta(minutes=60)
    assert int(event["SEQUENCE"]) == 0
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Rome"]


def test_the_uid_stays_across_a_postponement_and_sequence_and_last_modified_move(app, testapp, dbsession, tenant,
                                                                                  clock):
    appointment = book(dbsession, tenant, THURSDAY_10)
    url = subscribe(testapp, tenant.agent_user, agent_url(tenant))
    uid, = events_of(fetch(app, url))[1]

    later = NOW + timedelta(hours=2)
    lifecycle.postpone(dbsession, appointment, start=(THURSDAY_10 + timedelta(days=1)).astimezone(UTC),
                       actor=tenant.operator, now=later)
    dbsession.flush()
    events = events_of(fetch(app, url))[1]
    assert list(events) == [uid]
    assert events[uid]["DTSTART"].dt == THURSDAY_10 + timedelta(days=1)
    assert int(events[uid]["SEQUENCE"]) == 1
    assert events[uid]["LAST-MODIFIED"].dt == later


def test_a_cancelled_appointment_shows_as_cancelled(app, testapp, dbsession, tenant, clock):
    appointment = book(dbsession, tenant, THURSDAY_10)
    url = subscribe(testapp, tenant.agent_user, agent_url(tenant))
    after_meeting = THURSDAY_10.astimezone(UTC) + timedelta(hours=3)
    request = lifecycle.request_cancellation(dbsession, appointment, reason="duplicate", notes="",
                                             actor=tenant.client_user, now=after_meeting)
    lifecycle.decide_cancellation(dbsession, request, appointment, approve=True, notes="", actor=tenant.account_manager,
                                  now=after_meeting)
    dbsession.flush()
    event, = events_of(fetch(app, url))[1].values()
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 1


@pytest.mark.parametrize("local_start, utc_start", [
    (datetime(2026, 10, 24, 10, 0), datetime(2026, 10, 24, 8, 0)),  # Saturday, still summer time (+02:00)
    (datetime(2026, 10, 25, 10, 0), datetime(2026, 10, 25, 9, 0)),  # Sunday, winter time since 03:00 (+01:00)
    (datetime(2027, 3, 27, 10, 0), datetime(2027, 3, 27, 9, 0)),  # Saturday, winter time
    (datetime(2027, 3, 28, 10, 0), datetime(2027, 3, 28, 8, 0)),  # Sunday, summer time since 02:00
])
def test_the_hour_is_right_on_both_sides_of_the_dst_changes(app, testapp, dbsession, tenant, local_start, utc_start):
    start = local_start.replace(tzinfo=ROME)
    # Easter Sunday 2027 is a public holiday: booked as an exception (rule 9).
    book(dbsession, tenant, start, now=start.astimezone(UTC) - timedelta(days=3), out_of_schedule=True,
         may_book_out_of_schedule=True)
    url = subscribe(testapp, tenant.agent_user, agent_url(tenant))
    calendar, events = events_of(fetch(app, url))
    event, = events.values()
    assert event["DTSTART"].params["TZID"] == "Europe/Rome"
    assert event["DTSTART"].dt.replace(tzinfo=None) == local_start
    assert event["DTSTART"].dt.astimezone(UTC) == utc_start.replace(tzinfo=UTC)
    assert f"DTSTART;TZID=Europe/Rome:{local_start:%Y%m%dT%H%M%S}" in fetch(app, url).text.replace("\r\n ", "")
    # The VTIMEZONE says when Rome changes, so a calendar that ignores TZID names still shows 10:00.
    zone, = calendar.walk("VTIMEZONE")
    offsets = {(str(part.name), part["TZOFFSETTO"].td) for part in zone.walk() if part.name in ("STANDARD", "DAYLIGHT")}
    assert offsets == {("STANDARD", timedelta(hours=1)), ("DAYLIGHT", timedelta(hours=2))}


def test_meetings_older_than_eight_weeks_leave_the_feed(app, testapp, dbsession, tenant):
    old = datetime(2026, 9, 21, 10, 0, tzinfo=ROME)  # nine weeks before Monday 23 November
    recent = datetime(2026, 10, 5, 10, 0, tzinfo=ROME)
    for start in (old, recent):
        book(dbsession, tenant, start, now=start.astimezone(UTC) - timedelta(days=3))
    url = subscribe(testapp, tenant.agent_user, agent_url(tenant))
    event, = events_of(fetch(app, url))[1].values()
    assert event["DTSTART"].dt == recent


def test_a_revoked_a_regenerated_or_a_wrong_link_is_a_plain_404(app, testapp, dbsession, tenant):
    url = subscribe(testapp, tenant.agent_user, agent_url(tenant))
    second = subscribe(testapp, tenant.agent_user, agent_url(tenant))  # regenerate: the first stops
    fetch(app, url, status=404)
    fetch(app, second, status=200)
    not_found = fetch(app, "/feeds/no-such-secret.ics", status=404)
    assert fetch(app, "/feeds/" + second.rsplit("/", 1)[1][:-4], status=404).text == not_found.text

    login(testapp, tenant.agent_user)
    page = testapp.get(agent_url(tenant))
    assert page.html.find(id="feed-state") is not None
    revoke = next(form for form in page.forms.values() if form.action.endswith("calendar-feed")
                  and form["action"].value == "revoke")
    revoke.submit(status=302)
    assert fetch(app, second, status=404).text == not_found.text
    assert dbsession.query(CalendarFeed).filter(CalendarFeed.revoked_at.is_(None)).count() == 0


def test_only_the_digest_of_the_secret_is_stored(app, testapp, dbsession, tenant):
    url = subscribe(testapp, tenant.agent_user, agent_url(tenant))
    secret = url.rsplit("/", 1)[1][:-4]
    feed = dbsession.query(CalendarFeed).one()
    assert feed.digest == digest_of(secret) and secret not in (feed.digest, feed.prefix)
    assert (feed.user_id, feed.agent_id, feed.zone_id) == (tenant.agent_user.id, tenant.agent.id, None)


def test_the_zone_managers_feed_lists_the_zone_and_ends_when_the_zone_is_taken_away(app, testapp, dbsession,
                                                                                       tenant):
    colleague = make_agent(dbsession, tenant.client, zones=[tenant.zone], schedule=EVERY_DAY_9_TO_18)
    first = book(dbsession, tenant, THURSDAY_10)
    second = book(dbsession, tenant, THURSDAY_10, agent=colleague, name="Bar Sport")
    book(dbsession, tenant, THURSDAY_10, agent=tenant.other_agent, name="Other zone")
    url = subscribe(testapp, tenant.zone_manager, f"/clients/{tenant.client.slug}/zones/{tenant.zone.slug}/")
    events = events_of(fetch(app, url))[1]
    assert sorted(events) == sorted(f"appointment-{tenant.client.slug}-{number}@localhost"
                                    for number in (first.number, second.number))
    assert all(str(event["DESCRIPTION"]).count("\n") >= 4 for event in events.values())

    tenant.zone_manager.zones.remove(tenant.zone)
    dbsession.flush()
    fetch(app, url, status=404)


def test_a_deactivated_user_loses_the_feed(app, testapp, dbsession, tenant):
    url = subscribe(testapp, tenant.agent_user, agent_url(tenant))
    tenant.agent_user.active = False
    dbsession.flush()
    fetch(app, url, status=404)


@pytest.mark.parametrize("role, folder, status", [
    ("agent", "other_agent", 403),  # another agent's folder
    ("zone_manager", "agent", 403),  # zone managers subscribe to the zone, not to each agent
    ("client", "agent", 403),
    ("operator", "agent", 403),
    ("account_manager", "agent", 403),
])
def test_who_may_not_create_a_feed_on_a_folder(testapp, dbsession, tenant, role, folder, status):
    login(testapp, tenant.user(role))
    token = testapp.get("/password").forms[0]["csrf_token"].value
    testapp.post(agent_url(tenant, getattr(tenant, folder)) + "calendar-feed",
                 {"csrf_token": token, "action": "create"}, status=status)
    assert dbsession.query(CalendarFeed).count() == 0


def test_another_tenants_agent_cannot_subscribe_here(testapp, dbsession, tenant):
    other = Tenant(dbsession, purchased=1)
    login(testapp, other.agent_user)
    token = testapp.get("/password").forms[0]["csrf_token"].value
    testapp.post(agent_url(tenant) + "calendar-feed", {"csrf_token": token, "action": "create"}, status=403)
    testapp.get(agent_url(tenant), status=403)


def test_the_folder_page_shows_the_panel_only_to_who_may_subscribe(testapp, dbsession, tenant):
    login(testapp, tenant.agent_user)
    assert testapp.get(agent_url(tenant)).html.find(id="calendar-feed") is not None
    testapp.reset()
    login(testapp, tenant.client_user)
    assert testapp.get(agent_url(tenant)).html.find(id="calendar-feed") is None
