"""The account managers' dashboard against a hand-counted portfolio (spec §6)."""
from datetime import date, datetime, timedelta, timezone
from itertools import product
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from callcenter.lifecycle import services as lifecycle
from callcenter.booking.services import book_appointment
from campaigns.alerts import QuotaAlert
from tests.conftest import NOW
from tests.factories import Tenant, make_campaign
from tests.functional.conftest import login

ROME = ZoneInfo("Europe/Rome")
UTC = timezone.utc
PROSPECT = {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}
# Free starts of the tenant's agent (weekdays 9-18, 60 minutes plus 30 of travel), from 1 December.
DAYS = [date(2026, 12, 1) + timedelta(days=n) for n in range(14)]
STARTS = [datetime(day.year, day.month, day.day, hour, tzinfo=ROME).astimezone(UTC)
          for day, hour in product([d for d in DAYS if d.weekday() < 5], (9, 11, 13, 15))]

# When each booking was made (Rome time), hand-counted against "now", Monday 23 November 2026 09:00.
BOOKED_AT = [
    datetime(2026, 10, 14, 10, 0),  # 40 days ago: outside the four weeks
    datetime(2026, 10, 25, 23, 30),  # the last half hour before the window opens (Sunday of 25 hours)
    datetime(2026, 10, 26, 0, 30),  # the window's first day (23:30 UTC of the 25th)
    *[datetime(2026, 11, 1, 10, 0)] * 4,  # 22 days ago
    *[datetime(2026, 11, 18, 15, 0)] * 3,  # 5 days ago: in the last 7
    *[datetime(2026, 11, 22, 12, 0)] * 2,  # yesterday
    datetime(2026, 11, 23, 8, 30),  # today
]


@pytest.fixture
def portfolio(dbsession):
    """Campaign "busy": 20 purchased, 13 booked, one cancelled (approved), one request pending, one alert;
    campaign "idle" of the same client: 5 purchased, nothing booked; another tenant's campaign."""
    tenant = Tenant(dbsession, purchased=20)
    busy = tenant.campaign
    appointments = []
    for booked_at, start in zip(BOOKED_AT, STARTS):
        appointments.append(book_appointment(
            dbsession, campaign=busy, agent=tenant.agent, start=start, prospect=PROSPECT, booked_by=tenant.operator,
            now=booked_at.replace(tzinfo=ROME).astimezone(UTC)))
    approved = lifecycle.request_cancellation(dbsession, appointments[0], reason="duplicate", notes="",
                                              actor=tenant.client_user, now=NOW)
    lifecycle.decide_cancellation(dbsession, approved, appointments[0], approve=True, notes="",
                                  actor=tenant.account_manager, now=NOW)
    lifecycle.request_cancellation(dbsession, appointments[1], reason="duplicate", notes="", actor=tenant.client_user,
                                   now=NOW)
    dbsession.add(QuotaAlert(client_id=tenant.client.id, campaign_id=busy.id, step_id=None, threshold=50,
                             taken=10, purchased=20, created_at=NOW))
    tenant.idle = make_campaign(dbsession, tenant.client, purchased=5, slug="idle", name="Idle")
    tenant.other = Tenant(dbsession, purchased=3)
    dbsession.flush()
    return tenant


def rows_by_campaign(items):
    return {(item["client"], item["campaign"]): item for item in items}


def test_the_numbers_are_the_hand_counted_ones(api, portfolio):
    items = api(portfolio.account_manager).get("/dashboard").json["items"]
    rows = rows_by_campaign(items)
    assert set(rows) == {(portfolio.client.slug, portfolio.campaign.slug), (portfolio.client.slug, "idle")}
    busy = rows[(portfolio.client.slug, portfolio.campaign.slug)]
    assert {key: busy[key] for key in ("purchased", "taken", "to_confirm", "cancelled", "recovered", "alerts",
                                       "pending_requests")} == {
        "purchased": 20, "taken": 12, "to_confirm": 12, "cancelled": 1, "recovered": 0, "alerts": 1,
        "pending_requests": 1}
    assert busy["burn_7"] == round(5 / 7, 2)  # 3 five days ago, 2 yesterday
    assert busy["burn_28"] == round(10 / 28, 2)  # plus 4 on 1 November and 1 on 26 October
    assert busy["daily_bookings"][0] == 1 and busy["daily_bookings"][6] == 4
    assert busy["daily_bookings"][23] == 3 and busy["daily_bookings"][27] == 2 and sum(busy["daily_bookings"]) == 10
    assert busy["bookings_today"] == 1
    # 8 places left at 10 in 28 days: 22.4 days, so on the 23rd day from today.
    assert busy["forecast"] == "2026-12-16"
    idle = rows[(portfolio.client.slug, "idle")]
    assert (idle["burn_7"], idle["burn_28"], idle["forecast"], idle["taken"]) == (0, 0, None, 0)


def test_the_admin_sees_every_client_and_the_account_manager_only_the_portfolio(api, portfolio):
    mine = rows_by_campaign(api(portfolio.account_manager).get("/dashboard").json["items"])
    everything = rows_by_campaign(api(portfolio.admin).get("/dashboard").json["items"])
    other = (portfolio.other.client.slug, portfolio.other.campaign.slug)
    assert other not in mine and other in everything
    assert set(mine) <= set(everything)


@pytest.mark.parametrize("role", ["client", "zone_manager", "agent", "operator"])
def test_the_dashboard_is_the_staffs_only(api, testapp, portfolio, role):
    api(portfolio.user(role)).get("/dashboard", status=403)
    login(testapp, portfolio.user(role))
    testapp.get("/dashboard", status=403)


def test_without_login_the_api_says_401_and_the_page_asks_to_log_in(testapp, portfolio):
    testapp.get("/api/v1/dashboard", status=401)
    assert "/login" in testapp.get("/dashboard", status=302).location


def test_sorting_is_done_by_the_server_on_whitelisted_columns(api, portfolio):
    client = api(portfolio.admin)
    mine = {portfolio.campaign.slug, "idle"}

    def order(sort):
        answer = client.get("/dashboard", sort=sort).json
        assert answer["sort"] == sort
        return [item["campaign"] for item in answer["items"] if item["campaign"] in mine]

    assert order("-taken") == [portfolio.campaign.slug, "idle"]
    assert order("taken") == ["idle", portfolio.campaign.slug]
    assert order("forecast") == [portfolio.campaign.slug, "idle"]  # no forecast: last
    assert order("-forecast") == [portfolio.campaign.slug, "idle"]  # ... either way
    for sort in ("password_hash", "taken; drop table", "--taken", ""):
        if sort:
            error = client.get("/dashboard", status=400, sort=sort).json["error"]
            assert (error["code"], error["field"]) == ("validation_error", "sort")


def test_the_page_shows_the_numbers_sort_links_and_a_chart(testapp, portfolio):
    login(testapp, portfolio.account_manager)
    page = testapp.get("/", status=302).follow()
    assert page.request.path.rstrip("/") == "/dashboard"
    row = page.html.find("tr", attrs={"data-campaign": f"{portfolio.client.slug}/{portfolio.campaign.slug}"})
    cells = {cell["data-col"]: cell.get_text(strip=True) for cell in row.find_all("td", attrs={"data-col": True})}
    assert (cells["taken"], cells["cancelled"], cells["pending_requests"], cells["burn_7"]) == ("12", "1", "1", "0,7")  # Italian decimals (Babel)
    assert cells["forecast"] == "16 dic 2026"
    line = row.find("polyline")["points"].split()
    assert len(line) == 30  # the window's opening, its 28 days, now
    assert line[-1].startswith("160.0,")
    assert page.html.find("a", attrs={"data-sort": "taken"})["href"].endswith("?sort=taken")
    sorted_page = testapp.get("/dashboard/?sort=taken")
    assert sorted_page.html.find("a", attrs={"data-sort": "taken"})["href"].endswith("?sort=-taken")
    assert testapp.get("/dashboard/?sort=nonsense", status=400)


def test_the_queries_do_not_grow_with_the_campaigns(api, dbsession, connection, portfolio):
    client = api(portfolio.account_manager)
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    client.get("/dashboard")  # warm the user's session and token
    event.listen(connection, "before_cursor_execute", count)
    try:
        client.get("/dashboard")
        few = len(statements)
        for number in range(5):
            make_campaign(dbsession, portfolio.client, purchased=3, slug=f"more-{number}")
        dbsession.flush()
        statements.clear()
        assert len(client.get("/dashboard").json["items"]) == 7
        assert len(statements) == few
    finally:
        event.remove(connection, "before_cursor_execute", count)
