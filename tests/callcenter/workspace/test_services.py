"""The worklists' queries (README "What it does"): the database filters by each client's calendar, searches every word,
counts the calls and cuts the pages (rules 3, 6, 11), on both databases."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from callcenter.appointments.models import Recovery
from callcenter.booking.services import book_appointment
from callcenter.lifecycle.jobs import top_up_worklist
from callcenter.lifecycle.models import ConfirmationCall
from callcenter.workspace import services
from callcenter.workspace.services import WorklistFilters
from tests.conftest import NOW
from tests.factories import Tenant, make_agent, make_campaign, make_client, make_zone

EARLIER = NOW - timedelta(days=7)  # before every cutoff
TUESDAY_10_ROME = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # NOW is Monday 23 November, 09:00 in Rome
AUCKLAND = "Pacific/Auckland"  # UTC+13 in November: Tuesday 10:00 there is Monday 21:00 UTC


def book(dbsession, campaign, agent, start, name="Bar Centrale", postal_code="20121", operator=None):
    appointment = book_appointment(dbsession, campaign=campaign, agent=agent, start=start,
                                   prospect={"name": name, "phone": "+39 02 1234567", "postal_code": postal_code},
                                   booked_by=operator, now=EARLIER)
    dbsession.flush()
    return appointment


@pytest.fixture
def tenant(dbsession):
    return Tenant(dbsession, purchased=20)


@pytest.fixture
def antipodes(dbsession):
    """A client in Auckland: its tomorrow and its days are not Rome's nor UTC's."""
    client = make_client(dbsession, timezone=AUCKLAND, country="NZ")
    zone = make_zone(dbsession, client, postal_codes=["1010"])
    return client, make_campaign(dbsession, client), make_agent(dbsession, client, zones=[zone])


def listed(dbsession, query):
    return [appointment.id for appointment in dbsession.execute(query).scalars()]


def test_tomorrow_is_each_clients_tomorrow(dbsession, tenant, antipodes):
    client, campaign, agent = antipodes
    rome = book(dbsession, tenant.campaign, tenant.agent, TUESDAY_10_ROME, operator=tenant.operator)
    # Monday 08:00 UTC is Monday 21:00 in Auckland: its tomorrow starts at Monday 11:00 UTC.
    auckland_tomorrow = book(dbsession, campaign, agent, datetime(2026, 11, 23, 21, 0, tzinfo=UTC),
                             postal_code="1010", operator=tenant.operator)
    auckland_later = book(dbsession, campaign, agent, datetime(2026, 11, 24, 21, 0, tzinfo=UTC),
                          postal_code="1010", operator=tenant.operator)
    query = services.tomorrow_to_confirm(dbsession, WorklistFilters(), None, NOW)
    assert sorted(listed(dbsession, query)) == sorted([rome.id, auckland_tomorrow.id])
    assert auckland_later.id not in listed(dbsession, query)
    assert listed(dbsession, services.tomorrow_to_confirm(dbsession, WorklistFilters(), [client.id], NOW)) == [
        auckland_tomorrow.id]


def test_the_dates_are_days_of_the_clients_calendar(dbsession, tenant, antipodes):
    _client, campaign, agent = antipodes
    tuesday_there = book(dbsession, campaign, agent, datetime(2026, 11, 30, 21, 0, tzinfo=UTC),
                         postal_code="1010", operator=tenant.operator)  # Tuesday 1 December, 10:00 in Auckland
    tuesday_there.needs_rescheduling = True
    dbsession.flush()

    def to_move(**dates):
        return listed(dbsession, services.appointments_to_move(dbsession, WorklistFilters(**dates), None))

    assert to_move(date_from=datetime(2026, 12, 1).date(), date_to=datetime(2026, 12, 1).date()) == [tuesday_there.id]
    assert to_move(date_to=datetime(2026, 11, 30).date()) == []


def test_every_word_of_the_search_is_found_somewhere(dbsession, tenant):
    bar = book(dbsession, tenant.campaign, tenant.agent, TUESDAY_10_ROME, name="Bar Centrale", operator=tenant.operator)
    book(dbsession, tenant.campaign, tenant.agent, TUESDAY_10_ROME + timedelta(hours=2), name="Bar Sport",
         operator=tenant.operator)

    def found(text):
        return listed(dbsession, services.tomorrow_to_confirm(dbsession, WorklistFilters(text=text), None, NOW))

    assert found("centrale BAR") == [bar.id]
    assert found(f"centrale {tenant.client.name}") == [bar.id]
    assert found(f"{tenant.agent.name} centrale") == [bar.id]
    assert found("centrale 100%") == []
    assert len(found("bar")) == 2


def test_todays_calls_are_counted_and_split_by_the_database(dbsession, tenant):
    first = book(dbsession, tenant.campaign, tenant.agent, TUESDAY_10_ROME, operator=tenant.operator)
    second = book(dbsession, tenant.campaign, tenant.agent, TUESDAY_10_ROME + timedelta(hours=2),
                  operator=tenant.operator)
    assert [a.id for a in services.missing_from_todays_calls(dbsession, None, NOW)] == [first.id, second.id]
    top_up_worklist(dbsession, services.missing_from_todays_calls(dbsession, None, NOW), NOW)
    assert services.missing_from_todays_calls(dbsession, None, NOW) == []
    call = dbsession.execute(select(ConfirmationCall).where(ConfirmationCall.appointment_id == first.id)).scalar_one()
    call.state, call.outcome = "done", "disowned"
    dbsession.flush()

    filters = WorklistFilters()
    to_make = dbsession.execute(services.calls_to_make(dbsession, filters, None, NOW)).scalars().all()
    made = dbsession.execute(services.calls_made(dbsession, filters, None, NOW)).scalars().all()
    assert [c.appointment_id for c in to_make] == [second.id] and [c.appointment_id for c in made] == [first.id]
    assert services.calls_progress(dbsession, filters, None, NOW) == {"done": 1, "to_call": 1}
    calls = services.todays_calls_of(dbsession, [first, second], NOW)
    assert (calls[first.id].state, calls[second.id].state) == ("done", "open")
    assert services.todays_calls_of(dbsession, [first], NOW + timedelta(days=1)) == {}  # tomorrow's list is another
    assert services.calls_progress(dbsession, filters, [], NOW) == {"done": 0, "to_call": 0}
    done_only = WorklistFilters(call="done")
    assert dbsession.execute(services.calls_to_make(dbsession, done_only, None, NOW)).all() == []
    # Tomorrow's live list by the call's state: no call yet or still open is "open".
    live = services.tomorrow_to_confirm(dbsession, WorklistFilters(call="open"), None, NOW)
    assert listed(dbsession, live) == [second.id]


def test_released_recoveries_come_with_their_campaign_and_follow_the_filters(dbsession, tenant):
    other = Tenant(dbsession)
    ours = book(dbsession, tenant.campaign, tenant.agent, TUESDAY_10_ROME, name="Ottica Verdi",
                operator=tenant.operator)
    theirs = book(dbsession, other.campaign, other.agent, TUESDAY_10_ROME, operator=tenant.operator)
    not_yet = book(dbsession, tenant.campaign, tenant.agent, TUESDAY_10_ROME + timedelta(hours=2),
                   operator=tenant.operator)
    for appointment, state in ((ours, "released"), (theirs, "released"), (not_yet, "owed")):
        appointment.state = "cancelled"
        dbsession.add(Recovery(campaign_id=appointment.campaign_id, cancelled_appointment_id=appointment.id,
                               state=state, created_at=NOW, released_at=NOW if state == "released" else None))
    dbsession.flush()

    def rows(**filters):
        query = services.released_recoveries(dbsession, WorklistFilters(**filters), None)
        return [(recovery.cancelled_appointment_id, campaign.slug) for recovery, campaign in dbsession.execute(query)]

    assert rows() == [(ours.id, tenant.campaign.slug), (theirs.id, other.campaign.slug)]
    assert rows(text="verdi") == [(ours.id, tenant.campaign.slug)]
    assert rows(client=other.client.slug) == [(theirs.id, other.campaign.slug)]
    query = services.released_recoveries(dbsession, WorklistFilters(), [other.client.id])
    assert [recovery.cancelled_appointment_id for recovery, _campaign in dbsession.execute(query)] == [theirs.id]


def test_the_filters_choices_follow_the_chosen_client(dbsession, tenant):
    other = Tenant(dbsession)
    choices = services.filter_choices(dbsession, [tenant.client.id], None)
    assert [slug for slug, _name in choices["client"]] == [tenant.client.slug]
    assert choices["campaign"] == choices["agent"] == choices["zone"] == []
    choices = services.filter_choices(dbsession, [tenant.client.id], other.client.slug)  # not the user's
    assert choices["agent"] == []
    choices = services.filter_choices(dbsession, None, tenant.client.slug)
    assert {slug for slug, _name in choices["agent"]} == {tenant.agent.slug, tenant.other_agent.slug}
    assert {slug for slug, _name in choices["client"]} >= {tenant.client.slug, other.client.slug}
