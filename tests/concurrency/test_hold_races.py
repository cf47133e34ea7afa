"""Operators holding slots at the same instant (spec §5 rule 10): a slot is held by one operator only.

Like test_booking_races: a tenant committed for real, each request its own transaction on its own
connection in parallel threads, the app's clock fixed, everything deleted afterwards.
"""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import webtest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import sessionmaker

from callcenter.appointments.models import Appointment
from callcenter.booking.models import Hold
from campaigns.models import Client
from portal.accounts.models import User
from tests.factories import Tenant, make_token, make_user
from tests.helpers import bearer, fire

OPERATORS = 8
ROME = ZoneInfo("Europe/Rome")
# Thursday 26 November 2026, a working day more than 36 hours after NOW.
THURSDAY_10 = datetime(2026, 11, 26, 10, tzinfo=ROME).isoformat()


@pytest.fixture
def committed(engine, wsgi_app, fixed_clock):
    """A committed tenant with OPERATORS operators, each with an API token; removed at the end."""
    factory = sessionmaker(bind=engine)
    with factory() as session:
        tenant = Tenant(session, purchased=5)
        operators = [tenant.operator] + [make_user(session, "operator") for _ in range(OPERATORS - 1)]
        tokens = [make_token(session, operator) for operator in operators]
        session.commit()
        users = [tenant.user(role).id for role in
                 ("client", "zone_manager", "agent", "account_manager", "admin")] + [user.id for user in operators]
        names = {"client": tenant.client.slug, "campaign": tenant.campaign.slug, "agent": tenant.agent.slug,
                 "client_id": tenant.client.id, "campaign_id": tenant.campaign.id}
    yield names, tokens
    with factory() as session:
        session.execute(delete(Client).where(Client.id == names["client_id"]))
        session.execute(delete(User).where(User.id.in_(users)))
        session.commit()


def url(names, what):
    return f"/api/v1/clients/{names['client']}/campaigns/{names['campaign']}/{what}"


def hold_request(names, token, start=THURSDAY_10):
    return url(names, "holds"), {"agent": names["agent"], "start": start}, bearer(token)


def booking_request(names, token, start=THURSDAY_10, hold=None):
    body = {"agent": names["agent"], "start": start,
            "prospect": {"name": "Prospect", "phone": "+39 02 1234567", "postal_code": "20121"}}
    if hold is not None:
        body["hold"] = hold
    return url(names, "appointments"), body, bearer(token)


def outcome(responses):
    """(sorted statuses, set of refusal codes)."""
    statuses = sorted(response.status_int for response in responses)
    codes = {response.json["error"]["code"] for response in responses if response.status_int >= 400}
    return statuses, codes


def stored(engine, names):
    """(appointments of the campaign, live holds of the campaign) as committed."""
    with sessionmaker(bind=engine)() as session:
        appointments = session.execute(
            select(func.count()).select_from(Appointment).where(Appointment.campaign_id == names["campaign_id"])
        ).scalar_one()
        holds = session.execute(
            select(func.count()).select_from(Hold).where(Hold.campaign_id == names["campaign_id"],
                                                         Hold.ended_at.is_(None))
        ).scalar_one()
        return appointments, holds


def test_operators_holding_the_same_slot_at_once_give_it_to_exactly_one(engine, wsgi_app, committed):
    names, tokens = committed
    responses = fire(wsgi_app, [hold_request(names, token) for token in tokens])
    assert outcome(responses) == ([201] + [409] * (OPERATORS - 1), {"slot_held"})
    assert stored(engine, names) == (0, 1)


def test_operators_holding_overlapping_slots_at_once_give_one_of_them_to_exactly_one(engine, wsgi_app, committed):
    names, tokens = committed
    # 10:00, 10:30 and 11:00 all overlap: each keeps the agent busy for 60 minutes plus 30 of travel.
    starts = [datetime(2026, 11, 26, 10, 0, tzinfo=ROME) + timedelta(minutes=30 * (index % 3))
              for index in range(OPERATORS)]
    responses = fire(wsgi_app, [hold_request(names, token, start.isoformat()) for token, start in zip(tokens, starts)])
    assert outcome(responses) == ([201] + [409] * (OPERATORS - 1), {"slot_held"})
    assert stored(engine, names) == (0, 1)


def test_a_hold_racing_bookings_of_the_same_slot_lets_exactly_one_through(engine, wsgi_app, committed):
    names, tokens = committed
    requests = [hold_request(names, tokens[0])] + [booking_request(names, token) for token in tokens[1:]]
    responses = fire(wsgi_app, requests)
    statuses, codes = outcome(responses)
    assert statuses == [201] + [409] * (OPERATORS - 1)
    assert codes <= {"slot_held", "slot_taken"}
    # Either the hold won (no appointment) or a booking did (and the hold was refused).
    held = responses[0].status_int == 201
    assert stored(engine, names) == ((0, 1) if held else (1, 0))


def test_a_double_clicked_booking_with_a_hold_books_once(engine, wsgi_app, committed):
    names, tokens = committed
    held = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"}).post_json(
        *hold_request(names, tokens[0])[:2], headers={"Authorization": f"Bearer {tokens[0]}"}, status=201).json
    responses = fire(wsgi_app, [booking_request(names, tokens[0], hold=held["id"]) for _ in range(4)])
    statuses, codes = outcome(responses)
    assert statuses == [201, 409, 409, 409]
    # Whoever comes second finds the slot booked, or the hold already consumed.
    assert codes <= {"slot_taken", "hold_expired"}
    assert stored(engine, names) == (1, 0)
