"""The booking engine through /api/v1 (spec §5 rules 1, 7-10, 13, 14; §9.1): worked examples.

The tenant's agents work Monday to Friday 09:00-18:00 in Rome; the campaign books 60 minutes plus
30 of travel, 36 hours ahead, and holds a slot for 5 minutes. Now is Monday 23 November 2026,
09:00 in Rome. Every refusal is checked for its status, code and field, and for writing nothing.
"""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from agents.models import Unavailability
from callcenter.appointments.models import Appointment
from callcenter.booking.models import Hold
from campaigns.models import Campaign
from tests.factories import make_campaign, make_user

ROME = ZoneInfo("Europe/Rome")
PROSPECT = {"name": "Bar Centrale", "phone": "06 5556789", "postal_code": "20121"}
WEEKDAY_STARTS = [f"{hour:02d}:{minute:02d}" for hour in range(9, 18) for minute in (0, 30)][:-1]  # 09:00 … 17:00


def rome(year, month, day, hour, minute=0):
    """A wall-clock time in Rome as the API writes it (2026-11-26T10:00:00+01:00)."""
    return datetime(year, month, day, hour, minute, tzinfo=ROME).isoformat()


# --- helpers ---------------------------------------------------------------------------------------


def assert_error(response, status, code, field):
    assert response.status_int == status, response.text
    error = response.json["error"]
    assert (error["code"], error["field"]) == (code, field), error
    assert error["message"].strip()
    return error


def written(dbsession, campaign):
    """What a refusal must leave as it was: appointments, the campaign's taken counter, holds."""
    appointments = dbsession.execute(select(func.count()).select_from(Appointment)).scalar_one()
    taken = dbsession.execute(select(Campaign.taken).where(Campaign.id == campaign.id)).scalar_one()
    holds = dbsession.execute(
        select(func.count()).select_from(Hold).where(Hold.ended_at.is_(None))
    ).scalar_one()
    return appointments, taken, holds


def campaign_url(tenant, campaign=None):
    return f"/clients/{tenant.client.slug}/campaigns/{(campaign or tenant.campaign).slug}"


def week(client, tenant, status=200, campaign=None, **params):
    return client.get(campaign_url(tenant, campaign) + "/slots", status=status, **params)


def starts_on(answer, day, agent, key="slots"):
    """The "HH:MM" starts of ``agent``'s slots on ``day`` (YYYY-MM-DD) in a week's answer."""
    return [slot["start"][11:16] for slot in answer[key] if slot["agent"] == agent.slug and slot["start"][:10] == day]


def days_of(answer, agent):
    return sorted({slot["start"][:10] for slot in answer["slots"] if slot["agent"] == agent.slug})


def hold(client, tenant, start, agent=None, status=201, campaign=None):
    body = {"agent": (agent or tenant.agent).slug, "start": start}
    return client.post(campaign_url(tenant, campaign) + "/holds", body, status=status)


def release(client, tenant, hold_id, status=204):
    return client.testapp.delete(f"/api/v1{campaign_url(tenant)}/holds/{hold_id}", headers=client.headers,
                                 status=status)


def book(client, tenant, start, agent=None, status=201, campaign=None, **extra):
    body = {"agent": (agent or tenant.agent).slug, "start": start, "prospect": dict(PROSPECT), **extra}
    return client.post(campaign_url(tenant, campaign) + "/appointments", body, status=status)


def patch(client, path, body, status=200):
    return client.testapp.patch_json("/api/v1" + path, body, headers=client.headers, status=status)


def put(client, path, body, status=200):
    return client.testapp.put_json("/api/v1" + path, body, headers=client.headers, status=status)


@pytest.fixture
def manager(api, tenant):
    return api(tenant.account_manager)


@pytest.fixture
def operator(api, tenant):
    return api(tenant.operator)


@pytest.fixture
def rival(api, dbsession):
    """A second operator, working at the same time."""
    return api(make_user(dbsession, "operator"))


def agent_url(tenant, agent=None):
    return f"/clients/{tenant.client.slug}/agents/{(agent or tenant.agent).slug}"


# --- free slots of a week --------------------------------------------------------------------------


def test_slots_of_a_week_start_inside_the_schedule_on_the_30_minute_grid(operator, tenant):
    answer = week(operator, tenant, postal_code="20121", week="2026-W49").json
    assert (answer["week"], answer["zone"], answer["held"]) == ("2026-W49", tenant.zone.slug, [])
    assert {slot["agent"] for slot in answer["slots"]} == {tenant.agent.slug}  # only the zone's agent
    assert days_of(answer, tenant.agent) == ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04"]
    for day in days_of(answer, tenant.agent):
        # A 60-minute meeting fits from 09:00 to 17:00-18:00, every 30 minutes.
        assert starts_on(answer, day, tenant.agent) == WEEKDAY_STARTS
    for slot in answer["slots"]:
        start, end = datetime.fromisoformat(slot["start"]), datetime.fromisoformat(slot["end"])
        assert end - start == timedelta(minutes=60)
        assert slot["start"].endswith("+01:00") and "hold" not in slot


def test_slots_without_a_week_are_of_the_first_week_a_booking_can_fall_in(operator, tenant):
    # Now plus 36 hours is Tuesday 24 at 21:00: week 48, whose Wednesday is the first day with slots.
    answer = week(operator, tenant, postal_code="20121").json
    assert answer["week"] == "2026-W48"
    assert days_of(answer, tenant.agent) == ["2026-11-25", "2026-11-26", "2026-11-27"]


def test_slots_are_never_on_the_immacolata(operator, tenant):
    answer = week(operator, tenant, postal_code="20121", week="2026-W50").json
    # Tuesday 8 December 2026 is a public holiday in Italy.
    assert days_of(answer, tenant.agent) == ["2026-12-07", "2026-12-09", "2026-12-10", "2026-12-11"]


def test_slots_are_never_inside_a_closure_of_the_whole_day_or_of_part_of_it(operator, manager, tenant):
    manager.post(agent_url(tenant) + "/exceptions", {"day": "2026-12-02", "kind": "closure", "reason": "Training"})
    manager.post(agent_url(tenant) + "/exceptions",
                 {"day": "2026-12-03", "kind": "closure", "start": "11:00", "end": "14:00", "reason": "Dentist"})
    answer = week(operator, tenant, postal_code="20121", week="2026-W49").json
    assert "2026-12-02" not in days_of(answer, tenant.agent)
    # The morning keeps the meetings that end by 11:00; the afternoon opens again at 14:00 on the grid.
    assert starts_on(answer, "2026-12-03", tenant.agent) == ["09:00", "09:30", "10:00"] + WEEKDAY_STARTS[10:]
    assert WEEKDAY_STARTS[10] == "14:00"
    assert starts_on(answer, "2026-12-01", tenant.agent) == WEEKDAY_STARTS


def test_an_extra_dated_opening_adds_slots_on_a_saturday(operator, manager, tenant):
    before = week(operator, tenant, postal_code="20121", week="2026-W49").json
    assert "2026-12-05" not in days_of(before, tenant.agent)
    manager.post(agent_url(tenant) + "/exceptions",
                 {"day": "2026-12-05", "kind": "opening", "start": "09:00", "end": "12:00", "reason": "Fair"})
    answer = week(operator, tenant, postal_code="20121", week="2026-W49").json
    assert starts_on(answer, "2026-12-05", tenant.agent) == ["09:00", "09:30", "10:00", "10:30", "11:00"]
    book(operator, tenant, rome(2026, 12, 5, 11))


def test_a_closed_day_of_the_client_or_of_a_zone_has_no_slots_for_its_agents(operator, manager, tenant):
    base = f"/clients/{tenant.client.slug}/closed-days"
    manager.post(base, {"day": "2026-12-04", "reason": "Company holiday"})
    manager.post(base, {"day": "2026-12-01", "zone": tenant.other_zone.slug, "reason": "Patron saint of Turin"})
    manager.post(base, {"day": "2026-12-02", "agent": tenant.agent.slug, "reason": "Day off"})
    milano = week(operator, tenant, postal_code="20121", week="2026-W49").json
    torino = week(operator, tenant, postal_code="10121", week="2026-W49").json
    assert days_of(milano, tenant.agent) == ["2026-11-30", "2026-12-01", "2026-12-03"]
    assert days_of(torino, tenant.other_agent) == ["2026-11-30", "2026-12-02", "2026-12-03"]
    listed = [without_id(item) for item in manager.get(base).json["items"]]
    assert listed == [
        {"day": "2026-12-01", "zone": tenant.other_zone.slug, "agent": None, "reason": "Patron saint of Turin"},
        {"day": "2026-12-02", "zone": None, "agent": tenant.agent.slug, "reason": "Day off"},
        {"day": "2026-12-04", "zone": None, "agent": None, "reason": "Company holiday"},
    ]


def without_id(item):
    return {key: value for key, value in item.items() if key != "id"}


def unavailable(dbsession, tenant, start, end, agent=None):
    """An unavailability written directly (its API is not part of this suite)."""
    row = Unavailability(client_id=tenant.client.id, agent_id=(agent or tenant.agent).id,
                         start_at=datetime.fromisoformat(start), end_at=datetime.fromisoformat(end), reason="Sick")
    dbsession.add(row)
    dbsession.flush()
    return row


def test_slots_are_never_inside_an_unavailability(operator, tenant, dbsession):
    unavailable(dbsession, tenant, rome(2026, 12, 1, 11), rome(2026, 12, 1, 15))
    answer = week(operator, tenant, postal_code="20121", week="2026-W49").json
    # A meeting may end when the unavailability begins, and start when it ends.
    assert starts_on(answer, "2026-12-01", tenant.agent) == [
        "09:00", "09:30", "10:00", "15:00", "15:30", "16:00", "16:30", "17:00"]
    assert starts_on(answer, "2026-12-02", tenant.agent) == WEEKDAY_STARTS


def test_slots_never_overlap_an_appointment_plus_its_travel_buffer(operator, tenant):
    book(operator, tenant, rome(2026, 12, 3, 12))  # busy 12:00-13:30 with the buffer
    answer = week(operator, tenant, postal_code="20121", week="2026-W49").json
    # 10:30 + 60 + 30 ends at 12:00; the next meeting may start at 13:30.
    assert starts_on(answer, "2026-12-03", tenant.agent) == [
        start for start in WEEKDAY_STARTS if start not in ("11:00", "11:30", "12:00", "12:30", "13:00")]


def test_slots_less_than_36_hours_ahead_disappear_as_time_passes(operator, tenant, clock):
    def first_wednesday_starts():
        return starts_on(week(operator, tenant, postal_code="20121", week="2026-W48").json, "2026-11-25",
                         tenant.agent)[:2]

    assert first_wednesday_starts() == ["09:00", "09:30"]
    clock.now = datetime(2026, 11, 23, 21, 59, tzinfo=ROME)  # Wednesday 09:59 is 36 hours ahead
    assert first_wednesday_starts() == ["10:00", "10:30"]
    clock.now = datetime(2026, 11, 23, 22, 0, tzinfo=ROME)  # exactly 36 hours before 10:00: already refused
    assert first_wednesday_starts() == ["10:30", "11:00"]
    assert_error(book(operator, tenant, rome(2026, 11, 25, 10), status=422), 422, "insertion_cutoff", "start")
    book(operator, tenant, rome(2026, 11, 25, 10, 30))  # the first slot offered is bookable
    clock.now = datetime(2026, 11, 24, 10, 0, tzinfo=ROME)
    assert first_wednesday_starts() == []
    assert starts_on(week(operator, tenant, postal_code="20121", week="2026-W48").json, "2026-11-25",
                     tenant.agent) == []


# --- zone routing (rule 13) ------------------------------------------------------------------------


def add_zone_with_agent(manager, tenant, slug, **zone):
    base = f"/clients/{tenant.client.slug}"
    manager.post(base + "/zones", {"slug": slug, "name": slug.title(), **zone})
    manager.post(base + "/agents", {"slug": f"agent-of-{slug}", "name": f"Agent of {slug}", "zones": [slug],
                                    "schedule": [{"weekday": 0, "start": "09:00", "end": "10:00"}]})


def test_a_postal_code_prefix_routes_to_its_zone_and_the_longest_match_wins(operator, manager, tenant):
    add_zone_with_agent(manager, tenant, "milano-area", postal_codes=["201"])
    routed = week(operator, tenant, postal_code="20100", week="2026-W49").json
    assert routed["zone"] == "milano-area"
    assert [(slot["agent"], slot["start"]) for slot in routed["slots"]] == [
        ("agent-of-milano-area", "2026-11-30T09:00:00+01:00")]
    # "20121" is also under "201", but the zone listing the whole code is the better match.
    assert week(operator, tenant, postal_code="20121", week="2026-W49").json["zone"] == tenant.zone.slug


@pytest.mark.parametrize("params", [{"province": "MI"}, {"province": "mi"}, {"postal_code": "20999", "province": "MI"}],
                         ids=["province", "lower-case-province", "unknown-code-known-province"])
def test_the_province_routes_when_no_postal_code_matches(operator, tenant, params):
    answer = week(operator, tenant, week="2026-W49", **params).json
    assert answer["zone"] == tenant.zone.slug
    assert {slot["agent"] for slot in answer["slots"]} == {tenant.agent.slug}


def test_a_zone_named_by_slug_is_offered_as_it_is(operator, tenant):
    answer = week(operator, tenant, zone=tenant.other_zone.slug, week="2026-W49").json
    assert answer["zone"] == tenant.other_zone.slug
    assert {slot["agent"] for slot in answer["slots"]} == {tenant.other_agent.slug}


@pytest.mark.parametrize("params, field", [
    ({"postal_code": "99999"}, "postal_code"),
    ({"postal_code": "99999", "province": "RM"}, "postal_code"),
    ({"province": "RM"}, "province"),
    ({"week": "2026-W49"}, "postal_code"),
    ({"zone": "atlantis"}, "zone"),
    ({"postal_code": "2"}, "postal_code"),
    ({"province": "Milano"}, "province"),
], ids=["unknown-code", "unknown-code-and-province", "unknown-province", "nothing-to-route-by", "unknown-zone",
        "not-a-postal-code", "not-a-province"])
def test_a_prospect_no_zone_covers_is_a_validation_error(operator, tenant, params, field):
    assert_error(week(operator, tenant, status=400, **params), 400, "validation_error", field)


def test_zones_sharing_a_postal_code_or_a_province_are_ambiguous(operator, manager, tenant):
    add_zone_with_agent(manager, tenant, "milano-bis", postal_codes=["20121"], provinces=["TO"])
    add_zone_with_agent(manager, tenant, "torino-bis", provinces=["TO"])
    error = assert_error(week(operator, tenant, status=400, postal_code="20121"), 400, "validation_error",
                         "postal_code")
    assert "Milano-Bis" in error["message"] and tenant.zone.name in error["message"]
    assert_error(week(operator, tenant, status=400, province="TO"), 400, "validation_error", "province")


def test_the_booked_appointment_takes_the_zone_of_the_prospects_province(operator, tenant):
    prospect = {**PROSPECT, "postal_code": "20999", "province": "MI"}
    booked = operator.post(campaign_url(tenant) + "/appointments",
                           {"agent": tenant.agent.slug, "start": THURSDAY_10, "prospect": prospect}).json
    assert booked["zone"] == tenant.zone.slug


@pytest.mark.parametrize("province", ["Milano", "M1", "M"])
def test_a_prospect_province_that_is_not_two_letters_is_refused(operator, tenant, dbsession, province):
    before = written(dbsession, tenant.campaign)
    response = operator.post(campaign_url(tenant) + "/appointments",
                             {"agent": tenant.agent.slug, "start": THURSDAY_10,
                              "prospect": {**PROSPECT, "province": province}}, status=400)
    assert_error(response, 400, "validation_error", "prospect.province")
    assert written(dbsession, tenant.campaign) == before


@pytest.mark.parametrize("bad_week", ["2026-W60", "2026-49", "W49", "2026-W00", "2026-W4", "26-W49", "2026-w49",
                                      "2026-W49-1", "0000-W01"])
def test_a_week_not_written_like_2026_W49_is_a_validation_error(operator, tenant, bad_week):
    assert_error(week(operator, tenant, status=400, postal_code="20121", week=bad_week), 400, "validation_error",
                 "week")


@pytest.mark.parametrize("bad_week", ["0001-W01", "9999-W52"])
def test_a_week_at_the_ends_of_the_calendar_is_a_validation_error(operator, tenant, bad_week):
    assert_error(week(operator, tenant, status=400, postal_code="20121", week=bad_week), 400, "validation_error",
                 "week")


@pytest.mark.parametrize("far_week", ["2025-W01", "0002-W01", "9998-W53"])
def test_a_week_in_the_past_or_far_ahead_answers(operator, tenant, far_week):
    answer = week(operator, tenant, postal_code="20121", week=far_week).json
    assert answer["week"] == far_week
    if far_week < "2026":
        assert answer["slots"] == []  # nothing in the past is bookable
    else:
        assert answer["slots"][0]["start"] == "9998-12-28T09:00:00+01:00"


def test_an_unknown_query_parameter_is_a_validation_error(operator, tenant):
    assert_error(week(operator, tenant, status=400, postal_code="20121", city="Milano"), 400, "validation_error",
                 "city")


@pytest.mark.parametrize("role", ["client", "zone_manager", "agent"])
def test_client_side_users_cannot_see_slots_nor_hold(api, tenant, dbsession, role):
    client = api(tenant.user(role))
    before = written(dbsession, tenant.campaign)
    assert_error(week(client, tenant, status=403, postal_code="20121"), 403, "forbidden", None)
    assert_error(hold(client, tenant, rome(2026, 11, 26, 10), status=403), 403, "forbidden", None)
    assert written(dbsession, tenant.campaign) == before


# --- holds (rule 10) -------------------------------------------------------------------------------


THURSDAY_10 = rome(2026, 11, 26, 10)


def test_holding_a_slot_gives_it_to_the_holder_for_the_hold_minutes(operator, tenant):
    held = hold(operator, tenant, THURSDAY_10).json
    assert held == {"id": held["id"], "agent": tenant.agent.slug, "start": THURSDAY_10,
                    "end": rome(2026, 11, 26, 11), "expires_at": rome(2026, 11, 23, 9, 5)}
    mine = week(operator, tenant, postal_code="20121", week="2026-W48").json
    assert [slot for slot in mine["slots"] if slot.get("hold")] == [
        {"agent": tenant.agent.slug, "start": THURSDAY_10, "end": rome(2026, 11, 26, 11), "hold": held["id"]}]
    assert mine["held"] == []


def test_others_see_the_held_slot_and_its_neighbours_as_held_until_the_hold_runs_out(operator, rival, tenant):
    hold(operator, tenant, THURSDAY_10)
    theirs = week(rival, tenant, postal_code="20121", week="2026-W48").json
    # Every meeting that would overlap 10:00-11:00 plus the 30 minutes of travel is held.
    assert starts_on(theirs, "2026-11-26", tenant.agent, key="held") == ["09:00", "09:30", "10:00", "10:30", "11:00"]
    assert {slot["until"] for slot in theirs["held"]} == {rome(2026, 11, 23, 9, 5)}
    assert starts_on(theirs, "2026-11-26", tenant.agent)[:1] == ["11:30"]


def test_another_operators_hold_refuses_holding_and_booking_the_slot(operator, rival, tenant, dbsession):
    hold(operator, tenant, THURSDAY_10)
    before = written(dbsession, tenant.campaign)
    error = assert_error(hold(rival, tenant, THURSDAY_10, status=409), 409, "slot_held", "start")
    assert "09:05" in error["message"]  # when the slot frees, client time
    assert_error(hold(rival, tenant, rome(2026, 11, 26, 10, 30), status=409), 409, "slot_held", "start")
    error = assert_error(book(rival, tenant, THURSDAY_10, status=409), 409, "slot_held", "start")
    assert "09:05" in error["message"]
    assert written(dbsession, tenant.campaign) == before
    hold(rival, tenant, rome(2026, 11, 26, 11, 30))  # just clear of the held meeting and its travel


def test_an_expired_hold_frees_the_slot_and_cannot_be_booked_with(operator, rival, tenant, dbsession, clock):
    held = hold(operator, tenant, THURSDAY_10).json
    clock.now += timedelta(minutes=6)
    theirs = week(rival, tenant, postal_code="20121", week="2026-W48").json
    assert theirs["held"] == []
    assert "10:00" in starts_on(theirs, "2026-11-26", tenant.agent)
    before = written(dbsession, tenant.campaign)
    assert_error(book(operator, tenant, THURSDAY_10, hold=held["id"], status=409), 409, "hold_expired", "hold")
    assert written(dbsession, tenant.campaign) == before
    hold(rival, tenant, THURSDAY_10)  # free again for anyone


def test_a_hold_is_still_live_until_its_last_second(operator, rival, tenant, clock):
    hold(operator, tenant, THURSDAY_10)
    clock.now += timedelta(minutes=5) - timedelta(seconds=1)
    assert_error(hold(rival, tenant, THURSDAY_10, status=409), 409, "slot_held", "start")
    clock.now += timedelta(seconds=1)
    hold(rival, tenant, THURSDAY_10)


def test_booking_consumes_the_hold(operator, rival, tenant, dbsession):
    held = hold(operator, tenant, THURSDAY_10).json
    booked = book(operator, tenant, THURSDAY_10, hold=held["id"]).json
    assert (booked["start"], booked["agent"], booked["state"]) == (THURSDAY_10, tenant.agent.slug, "to_confirm")
    assert dbsession.execute(select(Hold.ended_at).where(Hold.id == held["id"])).scalar_one() is not None
    for client in (operator, rival):
        answer = week(client, tenant, postal_code="20121", week="2026-W48").json
        assert "10:00" not in starts_on(answer, "2026-11-26", tenant.agent)
        assert answer["held"] == []
    # Consumed: letting it go changes nothing, and it cannot book a second time.
    release(operator, tenant, held["id"])
    before = written(dbsession, tenant.campaign)
    assert_error(book(operator, tenant, THURSDAY_10, hold=held["id"], status=409), 409, "hold_expired", "hold")
    assert written(dbsession, tenant.campaign) == before


def test_booking_without_the_hold_id_also_consumes_the_callers_hold(operator, rival, tenant, dbsession):
    hold(operator, tenant, THURSDAY_10)
    book(operator, tenant, THURSDAY_10)
    assert written(dbsession, tenant.campaign)[2] == 0
    assert week(rival, tenant, postal_code="20121", week="2026-W48").json["held"] == []


def test_releasing_a_hold_frees_the_slot_for_others(operator, rival, tenant, dbsession):
    held = hold(operator, tenant, THURSDAY_10).json
    response = release(operator, tenant, held["id"])
    assert response.body == b""
    theirs = week(rival, tenant, postal_code="20121", week="2026-W48").json
    assert theirs["held"] == [] and "10:00" in starts_on(theirs, "2026-11-26", tenant.agent)
    release(operator, tenant, held["id"])  # again: nothing left to release, still 204
    hold(rival, tenant, THURSDAY_10)


def test_another_operator_cannot_release_my_hold(operator, rival, tenant, dbsession):
    held = hold(operator, tenant, THURSDAY_10).json
    assert_error(release(rival, tenant, held["id"], status=403), 403, "forbidden", None)
    assert_error(hold(rival, tenant, THURSDAY_10, status=409), 409, "slot_held", "start")


@pytest.mark.parametrize("hold_id", ["999999", "abc", "0"])
def test_releasing_an_unknown_hold_is_not_found(operator, tenant, hold_id):
    assert_error(release(operator, tenant, hold_id, status=404), 404, "not_found", None)


def test_a_new_hold_ends_the_operators_previous_hold_on_the_campaign(operator, rival, tenant):
    hold(operator, tenant, THURSDAY_10)
    hold(operator, tenant, rome(2026, 11, 26, 15))
    theirs = week(rival, tenant, postal_code="20121", week="2026-W48").json
    assert starts_on(theirs, "2026-11-26", tenant.agent, key="held") == ["14:00", "14:30", "15:00", "15:30", "16:00"]
    hold(rival, tenant, THURSDAY_10)


def test_booking_with_someone_elses_hold_is_a_validation_error(operator, rival, tenant, dbsession):
    held = hold(operator, tenant, THURSDAY_10).json
    before = written(dbsession, tenant.campaign)
    assert_error(book(rival, tenant, THURSDAY_10, hold=held["id"], status=400), 400, "validation_error", "hold")
    assert written(dbsession, tenant.campaign) == before
    book(operator, tenant, THURSDAY_10, hold=held["id"])  # the holder still can


@pytest.mark.parametrize("change", [
    {"start": rome(2026, 11, 26, 10, 30)},
    {"agent": "other"},
], ids=["another-start", "another-agent"])
def test_booking_with_a_hold_of_another_slot_is_a_validation_error(operator, tenant, dbsession, change):
    held = hold(operator, tenant, THURSDAY_10).json
    before = written(dbsession, tenant.campaign)
    agent = tenant.other_agent if change.get("agent") else tenant.agent
    prospect = dict(PROSPECT, postal_code=agent.zones[0].postal_codes[0])  # in the agent's zone (rule 13)
    response = book(operator, tenant, change.get("start", THURSDAY_10), agent=agent, hold=held["id"],
                    prospect=prospect, status=400)
    assert_error(response, 400, "validation_error", "hold")
    assert written(dbsession, tenant.campaign) == before


@pytest.mark.parametrize("hold_value", ["1", 0, 1.5, True, None])
def test_a_hold_that_is_not_an_id_is_a_validation_error(operator, tenant, dbsession, hold_value):
    before = written(dbsession, tenant.campaign)
    assert_error(book(operator, tenant, THURSDAY_10, hold=hold_value, status=400), 400, "validation_error", "hold")
    assert written(dbsession, tenant.campaign) == before


@pytest.mark.parametrize("start, code, status", [
    (rome(2026, 11, 28, 10), "outside_schedule", 422),
    (rome(2026, 11, 26, 10, 15), "outside_schedule", 422),
    (rome(2026, 11, 24, 10), "insertion_cutoff", 422),
], ids=["saturday", "off-grid", "within-36-hours"])
def test_a_hold_keeps_the_booking_rules(operator, tenant, dbsession, start, code, status):
    before = written(dbsession, tenant.campaign)
    assert_error(hold(operator, tenant, start, status=status), status, code, "start")
    assert written(dbsession, tenant.campaign) == before


def test_a_full_campaign_cannot_be_held(api, tenant, dbsession):
    full = make_campaign(dbsession, tenant.client, purchased=1)
    operator = api(tenant.operator)
    book(operator, tenant, THURSDAY_10, campaign=full)
    before = written(dbsession, full)
    assert_error(hold(operator, tenant, rome(2026, 11, 27, 10), campaign=full, status=409), 409, "quota_exhausted",
                 "campaign")
    assert written(dbsession, full) == before == (1, 1, 0)


def test_a_hold_on_a_booked_slot_is_slot_taken(operator, rival, tenant, dbsession):
    book(operator, tenant, THURSDAY_10)
    before = written(dbsession, tenant.campaign)
    assert_error(hold(rival, tenant, rome(2026, 11, 26, 11), status=409), 409, "slot_taken", "start")
    assert written(dbsession, tenant.campaign) == before


# --- booking refusals ------------------------------------------------------------------------------


def test_the_36_hours_of_the_2_october_example(operator, tenant, dbsession, clock):
    """2 October 12:00 cannot be inserted from 24:00 of 30 September on (rule 1)."""
    october_2 = rome(2026, 10, 2, 12)
    clock.now = datetime(2026, 10, 1, 0, 0, tzinfo=ROME)
    before = written(dbsession, tenant.campaign)
    assert_error(book(operator, tenant, october_2, status=422), 422, "insertion_cutoff", "start")
    assert written(dbsession, tenant.campaign) == before
    assert "12:00" not in starts_on(week(operator, tenant, postal_code="20121", week="2026-W40").json,
                                    "2026-10-02", tenant.agent)
    clock.now = datetime(2026, 9, 30, 23, 59, tzinfo=ROME)
    assert "12:00" in starts_on(week(operator, tenant, postal_code="20121", week="2026-W40").json,
                                "2026-10-02", tenant.agent)
    assert book(operator, tenant, october_2).json["start"] == "2026-10-02T12:00:00+02:00"


@pytest.mark.parametrize("start", [
    rome(2026, 11, 28, 10),      # Saturday
    rome(2026, 11, 26, 20),      # after closing
    rome(2026, 11, 26, 10, 15),  # off the 30-minute grid
    rome(2026, 11, 26, 17, 30),  # on the grid, but the meeting would end after 18:00
    rome(2026, 11, 26, 8, 30),   # before opening
    rome(2026, 12, 8, 10),       # Immacolata
], ids=["saturday", "20-00", "off-grid-10-15", "ends-after-closing", "before-opening", "public-holiday"])
def test_booking_outside_the_schedule_is_refused(operator, tenant, dbsession, start):
    before = written(dbsession, tenant.campaign)
    assert_error(book(operator, tenant, start, status=422), 422, "outside_schedule", "start")
    assert written(dbsession, tenant.campaign) == before


def test_booking_inside_a_closure_is_outside_schedule(operator, manager, tenant, dbsession):
    manager.post(agent_url(tenant) + "/exceptions",
                 {"day": "2026-11-26", "kind": "closure", "start": "09:00", "end": "12:00", "reason": "Dentist"})
    before = written(dbsession, tenant.campaign)
    assert_error(book(operator, tenant, THURSDAY_10, status=422), 422, "outside_schedule", "start")
    assert written(dbsession, tenant.campaign) == before
    book(operator, tenant, rome(2026, 11, 26, 12))


def test_booking_inside_an_unavailability_is_refused(operator, tenant, dbsession):
    unavailable(dbsession, tenant, rome(2026, 11, 26, 11), rome(2026, 11, 26, 15))
    before = written(dbsession, tenant.campaign)
    assert_error(book(operator, tenant, rome(2026, 11, 26, 10, 30), status=422), 422, "agent_unavailable", "start")
    assert written(dbsession, tenant.campaign) == before
    book(operator, tenant, THURSDAY_10)  # ends as the unavailability begins


def test_booking_over_an_appointment_and_its_travel_buffer_is_slot_taken(operator, rival, tenant, dbsession):
    book(operator, tenant, THURSDAY_10)
    before = written(dbsession, tenant.campaign)
    for start in (rome(2026, 11, 26, 9), THURSDAY_10, rome(2026, 11, 26, 11)):
        assert_error(book(rival, tenant, start, status=409), 409, "slot_taken", "start")
    assert written(dbsession, tenant.campaign) == before
    book(rival, tenant, rome(2026, 11, 26, 11, 30))


def test_booking_a_full_campaign_is_quota_exhausted(api, tenant, dbsession):
    full = make_campaign(dbsession, tenant.client, purchased=1)
    operator = api(tenant.operator)
    book(operator, tenant, THURSDAY_10, campaign=full)
    before = written(dbsession, full)
    assert_error(book(operator, tenant, rome(2026, 11, 27, 10), campaign=full, status=409), 409, "quota_exhausted",
                 "campaign")
    assert written(dbsession, full) == before == (1, 1, 0)


def test_out_of_schedule_without_the_permission_is_forbidden(operator, tenant, dbsession):
    before = written(dbsession, tenant.campaign)
    response = book(operator, tenant, rome(2026, 11, 28, 10), out_of_schedule=True, status=403)
    assert_error(response, 403, "forbidden", "out_of_schedule")
    assert written(dbsession, tenant.campaign) == before


@pytest.mark.parametrize("value", ["yes", 1, "1"])
def test_out_of_schedule_that_is_not_true_or_false_is_a_validation_error(manager, tenant, dbsession, value):
    before = written(dbsession, tenant.campaign)
    response = book(manager, tenant, rome(2026, 11, 28, 10), out_of_schedule=value, status=400)
    assert_error(response, 400, "validation_error", "out_of_schedule")
    assert written(dbsession, tenant.campaign) == before


def out_of_schedule_of(dbsession, number, tenant):
    return dbsession.execute(
        select(Appointment.out_of_schedule).where(Appointment.client_id == tenant.client.id,
                                                  Appointment.number == number)
    ).scalar_one()


def test_a_trusted_operator_books_out_of_schedule_and_it_is_recorded(operator, tenant, dbsession):
    tenant.operator.may_book_out_of_schedule = True
    dbsession.flush()
    booked = book(operator, tenant, rome(2026, 11, 28, 10), out_of_schedule=True).json
    assert booked["start"] == rome(2026, 11, 28, 10)
    assert out_of_schedule_of(dbsession, booked["number"], tenant) is True
    # Without asking, the same operator still keeps to the schedule.
    assert_error(book(operator, tenant, rome(2026, 11, 28, 12), status=422), 422, "outside_schedule", "start")
    regular = book(operator, tenant, THURSDAY_10).json
    assert out_of_schedule_of(dbsession, regular["number"], tenant) is False


@pytest.mark.parametrize("role", ["account_manager", "admin"])
def test_account_managers_and_admins_may_book_out_of_schedule(api, tenant, dbsession, role):
    booked = book(api(tenant.user(role)), tenant, rome(2026, 11, 26, 19, 15), out_of_schedule=True).json
    assert out_of_schedule_of(dbsession, booked["number"], tenant) is True


def test_out_of_schedule_still_keeps_unavailabilities_the_cutoff_and_double_booking(manager, tenant, dbsession):
    unavailable(dbsession, tenant, rome(2026, 11, 28, 9), rome(2026, 11, 28, 13))
    book(manager, tenant, THURSDAY_10)
    before = written(dbsession, tenant.campaign)
    for start, status, code in [(rome(2026, 11, 28, 10), 422, "agent_unavailable"),
                                (rome(2026, 11, 23, 20), 422, "insertion_cutoff"),
                                (rome(2026, 11, 26, 10, 15), 409, "slot_taken")]:
        assert_error(book(manager, tenant, start, out_of_schedule=True, status=status), status, code, "start")
    assert written(dbsession, tenant.campaign) == before


# --- campaign fields (rule 14) ---------------------------------------------------------------------


@pytest.fixture
def fielded(manager, tenant):
    """The campaign asks for a budget (required), the heating, the date of the last visit and ownership."""
    base = campaign_url(tenant) + "/fields"
    for field in [
        {"name": "budget", "label": "Budget", "kind": "number", "required": True, "help_text": "Euros a month"},
        {"name": "heating", "label": "Heating", "kind": "choice", "choices": ["gas", "heat pump"]},
        {"name": "last_visit", "label": "Last visit", "kind": "date"},
        {"name": "owner", "label": "Owner", "kind": "yes_no"},
        {"name": "remarks", "label": "Remarks", "kind": "text"},
    ]:
        manager.post(base, field)
    return base


def test_campaign_fields_are_listed_in_order_with_their_help(operator, fielded):
    items = operator.get(fielded).json["items"]
    assert [(item["name"], item["kind"], item["required"]) for item in items] == [
        ("budget", "number", True), ("heating", "choice", False), ("last_visit", "date", False),
        ("owner", "yes_no", False), ("remarks", "text", False)]
    assert items[0]["help_text"] == "Euros a month" and items[1]["choices"] == ["gas", "heat pump"]


@pytest.mark.parametrize("fields, field", [
    ({}, "fields.budget"),
    ({"heating": "gas"}, "fields.budget"),
    ({"budget": "3"}, "fields.budget"),
    ({"budget": True}, "fields.budget"),
    ({"budget": None}, "fields.budget"),
    ({"budget": 3, "owner": "yes"}, "fields.owner"),
    ({"budget": 3, "owner": 1}, "fields.owner"),
    ({"budget": 3, "heating": "coal"}, "fields.heating"),
    ({"budget": 3, "last_visit": "2026-02-30"}, "fields.last_visit"),
    ({"budget": 3, "last_visit": "yesterday"}, "fields.last_visit"),
    ({"budget": 3, "remarks": "x" * 501}, "fields.remarks"),
    ({"budget": 3, "colour": "red"}, "fields.colour"),
], ids=["required-missing", "required-missing-others-given", "number-as-text", "number-as-boolean",
        "required-null", "yes-no-as-text", "yes-no-as-number", "choice-not-listed", "impossible-date",
        "not-a-date", "text-too-long", "unknown-field"])
def test_bad_campaign_fields_are_refused_naming_the_field(operator, tenant, dbsession, fielded, fields, field):
    before = written(dbsession, tenant.campaign)
    response = book(operator, tenant, THURSDAY_10, fields=fields, status=400)
    assert_error(response, 400, "validation_error", field)
    assert written(dbsession, tenant.campaign) == before


def test_an_unknown_field_is_refused_on_a_campaign_without_fields(operator, tenant, dbsession):
    before = written(dbsession, tenant.campaign)
    assert_error(book(operator, tenant, THURSDAY_10, fields={"budget": 3}, status=400), 400, "validation_error",
                 "fields.budget")
    assert written(dbsession, tenant.campaign) == before


def test_valid_campaign_fields_are_stored_and_returned(operator, tenant, fielded):
    fields = {"budget": 1200.5, "heating": "heat pump", "last_visit": "2025-03-31", "owner": False,
              "remarks": "Call after six"}
    booked = book(operator, tenant, THURSDAY_10, fields=fields).json
    assert booked["fields"] == fields
    again = operator.get(f"/clients/{tenant.client.slug}/appointments/{booked['number']}").json
    assert again["fields"] == fields
    only_required = book(operator, tenant, rome(2026, 11, 27, 10), fields={"budget": 0}).json
    assert only_required["fields"] == {"budget": 0}


def test_a_campaign_field_name_in_use_is_a_conflict(manager, fielded):
    response = manager.post(fielded, {"name": "budget", "label": "Again", "kind": "text"}, status=409)
    assert_error(response, 409, "conflict", "name")
    assert len(manager.get(fielded).json["items"]) == 5


@pytest.mark.parametrize("body, field", [
    ({"name": "Budget", "label": "B", "kind": "text"}, "name"),
    ({"name": "budget2", "label": "B", "kind": "money"}, "kind"),
    ({"name": "budget2", "label": "B", "kind": "choice"}, "choices"),
    ({"name": "budget2", "label": "", "kind": "text"}, "label"),
    ({"name": "budget2", "label": "B", "kind": "text", "placeholder": "0"}, "placeholder"),
], ids=["upper-case-name", "unknown-kind", "choice-without-choices", "empty-label", "unknown-key"])
def test_a_bad_campaign_field_is_refused(manager, operator, tenant, body, field):
    base = campaign_url(tenant) + "/fields"
    assert_error(manager.post(base, body, status=400), 400, "validation_error", field)
    assert operator.get(base).json["items"] == []


def test_operators_cannot_define_campaign_fields(operator, tenant):
    base = campaign_url(tenant) + "/fields"
    assert_error(operator.post(base, {"name": "budget", "label": "Budget", "kind": "number"}, status=403), 403,
                 "forbidden", None)


# --- campaign settings, schedules, exceptions -------------------------------------------------------


def test_patching_the_length_changes_the_slots_and_the_bookings_that_follow(operator, manager, tenant):
    settings = patch(manager, campaign_url(tenant), {"appointment_minutes": 90, "buffer_minutes": 0}).json
    assert (settings["appointment_minutes"], settings["buffer_minutes"], settings["cutoff_hours"],
            settings["hold_minutes"]) == (90, 0, 36, 5)
    answer = week(operator, tenant, postal_code="20121", week="2026-W49").json
    monday = [slot for slot in answer["slots"] if slot["start"][:10] == "2026-11-30"]
    assert [slot["start"][11:16] for slot in monday] == WEEKDAY_STARTS[:-1]  # the last one starts at 16:30
    assert monday[-1]["end"] == rome(2026, 11, 30, 18)
    booked = book(operator, tenant, rome(2026, 11, 30, 9)).json
    assert booked["end"] == rome(2026, 11, 30, 10, 30)
    book(operator, tenant, rome(2026, 11, 30, 10, 30))  # no buffer: back to back


def test_patching_the_hold_minutes_and_the_cutoff_applies_to_new_holds_and_slots(operator, manager, tenant):
    patch(manager, campaign_url(tenant), {"hold_minutes": 15, "cutoff_hours": 0})
    assert hold(operator, tenant, rome(2026, 11, 23, 10)).json["expires_at"] == rome(2026, 11, 23, 9, 15)
    answer = week(operator, tenant, postal_code="20121", week="2026-W48").json
    assert starts_on(answer, "2026-11-23", tenant.agent)[:2] == ["09:30", "10:00"]  # 09:00 is now, not after
    assert manager.get(campaign_url(tenant)).json["hold_minutes"] == 15


@pytest.mark.parametrize("body, field", [
    ({"hold_minutes": 0}, "hold_minutes"),
    ({"appointment_minutes": "60"}, "appointment_minutes"),
    ({"cutoff_hours": -1}, "cutoff_hours"),
    ({"purchased": 100}, "purchased"),
    ({"slug": "renamed"}, "slug"),
], ids=["hold-zero", "length-as-text", "negative-cutoff", "counter", "slug"])
def test_bad_campaign_settings_are_refused_and_nothing_changes(manager, tenant, body, field):
    before = manager.get(campaign_url(tenant)).json
    assert_error(patch(manager, campaign_url(tenant), body, status=400), 400, "validation_error", field)
    assert manager.get(campaign_url(tenant)).json == before


def test_operators_cannot_change_campaign_settings(operator, tenant):
    assert_error(patch(operator, campaign_url(tenant), {"hold_minutes": 30}, status=403), 403, "forbidden", None)


def test_a_replaced_schedule_reads_back_and_gives_the_slots(operator, manager, tenant):
    schedule = [{"weekday": 0, "start": "08:30", "end": "12:30"}, {"weekday": 0, "start": "14:00", "end": "16:00"},
                {"weekday": 2, "start": "14:00", "end": "18:00"}]
    assert put(manager, agent_url(tenant) + "/schedule", {"schedule": schedule}).json == {
        "schedule": schedule, "exceptions": []}
    assert manager.get(agent_url(tenant) + "/schedule").json["schedule"] == schedule
    assert manager.get(agent_url(tenant)).json["schedule"] == schedule
    answer = week(operator, tenant, postal_code="20121", week="2026-W49").json
    assert days_of(answer, tenant.agent) == ["2026-11-30", "2026-12-02"]
    assert starts_on(answer, "2026-11-30", tenant.agent) == [
        "08:30", "09:00", "09:30", "10:00", "10:30", "11:00", "11:30", "14:00", "14:30", "15:00"]
    assert starts_on(answer, "2026-12-02", tenant.agent)[0] == "14:00"


@pytest.mark.parametrize("body, field", [
    ({"schedule": [{"weekday": 0, "start": "13:00", "end": "09:00"}]}, "schedule"),
    ({"schedule": [{"weekday": 7, "start": "09:00", "end": "13:00"}]}, "schedule.0.weekday"),
    ({"schedule": [{"weekday": 0, "start": "09:00"}]}, "schedule.0.end"),
    ({}, "schedule"),
    ({"schedule": [], "exceptions": []}, "exceptions"),
], ids=["end-before-start", "weekday-7", "missing-end", "no-schedule", "unknown-key"])
def test_a_bad_schedule_is_refused_and_the_old_one_stays(manager, tenant, body, field):
    before = manager.get(agent_url(tenant) + "/schedule").json
    assert_error(put(manager, agent_url(tenant) + "/schedule", body, status=400), 400, "validation_error", field)
    assert manager.get(agent_url(tenant) + "/schedule").json == before


def test_exceptions_are_listed_with_the_schedule_from_today_on(manager, tenant):
    base = agent_url(tenant)
    created = manager.post(base + "/exceptions", {"day": "2026-12-05", "kind": "opening", "start": "09:00",
                                                  "end": "12:00", "reason": "Fair"}).json
    assert without_id(created) == {"day": "2026-12-05", "kind": "opening", "start": "09:00", "end": "12:00",
                                   "reason": "Fair"}
    strike = manager.post(base + "/exceptions", {"day": "2026-11-27", "kind": "closure", "reason": "Strike"}).json
    manager.post(base + "/exceptions", {"day": "2026-11-20", "kind": "closure", "reason": "Past"})
    assert manager.get(base + "/schedule").json["exceptions"] == [
        {"id": strike["id"], "day": "2026-11-27", "kind": "closure", "start": None, "end": None, "reason": "Strike"},
        created,
    ]


@pytest.mark.parametrize("body, field", [
    ({"day": "2026-12-05", "kind": "opening"}, "start"),
    ({"day": "2026-12-05", "kind": "closure", "start": "10:00"}, "end"),
    ({"day": "2026-12-05", "kind": "closure", "start": "12:00", "end": "10:00"}, "end"),
    ({"day": "2026-12-05", "kind": "holiday"}, "kind"),
    ({"day": "2026-02-30", "kind": "closure"}, "day"),
    ({"day": "2026-12-05", "kind": "closure", "all_day": True}, "all_day"),
], ids=["opening-without-times", "one-time-only", "end-before-start", "unknown-kind", "impossible-day",
        "unknown-key"])
def test_a_bad_exception_is_refused(manager, tenant, body, field):
    assert_error(manager.post(agent_url(tenant) + "/exceptions", body, status=400), 400, "validation_error", field)
    assert manager.get(agent_url(tenant) + "/schedule").json["exceptions"] == []


@pytest.mark.parametrize("body, field", [
    ({"day": "2026-12-24", "zone": "atlantis"}, "zone"),
    ({"day": "2026-12-24", "agent": "nobody"}, "agent"),
    ({"day": "24/12/2026"}, "day"),
    ({"reason": "No day"}, "day"),
], ids=["unknown-zone", "unknown-agent", "not-iso", "missing-day"])
def test_a_bad_closed_day_is_refused(manager, tenant, body, field):
    base = f"/clients/{tenant.client.slug}/closed-days"
    assert_error(manager.post(base, body, status=400), 400, "validation_error", field)
    assert manager.get(base).json["items"] == []


def test_operators_cannot_change_schedules_nor_closed_days(operator, tenant):
    assert_error(put(operator, agent_url(tenant) + "/schedule", {"schedule": []}, status=403), 403, "forbidden", None)
    assert_error(operator.post(agent_url(tenant) + "/exceptions", {"day": "2026-12-05", "kind": "closure"},
                               status=403), 403, "forbidden", None)
    assert_error(operator.post(f"/clients/{tenant.client.slug}/closed-days", {"day": "2026-12-05"}, status=403),
                 403, "forbidden", None)
