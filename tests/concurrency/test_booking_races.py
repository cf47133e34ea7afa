"""Many operators at once: the quota is never exceeded and an agent is never double-booked.

These tests commit for real (each request is its own transaction on its own
connection, in parallel threads) and delete what they made afterwards.
"""
from datetime import datetime, time, timedelta, timezone

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import sessionmaker

from callcenter.appointments.models import Appointment
from campaigns.models import Campaign, Client
from portal.accounts.models import User
from tests.conftest import NOW
from tests.factories import Tenant, make_token
from tests.helpers import fire

THREADS = 16


@pytest.fixture
def committed_tenant(engine, wsgi_app, fixed_clock):
    """A tenant committed to the database, removed at the end."""
    factory = sessionmaker(bind=engine)
    with factory() as session:
        tenant = Tenant(session, purchased=5)
        tokens = {"operator": make_token(session, tenant.operator)}
        session.commit()
        ids = {
            "client": tenant.client.id,
            "campaign": tenant.campaign.id,
            "users": [tenant.user(role).id for role in
                      ("client", "zone_manager", "agent", "operator", "account_manager", "admin")],
        }
        names = {"client": tenant.client.slug, "campaign": tenant.campaign.slug,
                 "agents": [tenant.agent.slug, tenant.other_agent.slug],
                 # A prospect of each agent's zone: booking checks the routing (rule 13).
                 "postal_codes": {tenant.agent.slug: "20121", tenant.other_agent.slug: "10121"}}
    yield names, ids, tokens
    with factory() as session:
        session.execute(delete(Client).where(Client.id == ids["client"]))
        session.execute(delete(User).where(User.id.in_(ids["users"])))
        session.commit()


def booking(names, token, agent, start):
    path = f"/api/v1/clients/{names['client']}/campaigns/{names['campaign']}/appointments"
    body = {"agent": agent, "start": start.isoformat(),
            "prospect": {"name": "Prospect", "phone": "+39 02 1234567",
                         "postal_code": names.get("postal_codes", {}).get(agent, "20121")}}
    return path, body, {"Authorization": f"Bearer {token}"}


def next_monday_at(hour):
    """Monday 30 November 2026 at ``hour`` UTC (an hour later in Rome), a week after NOW."""
    return datetime.combine(NOW.date() + timedelta(days=7), time(hour), timezone.utc)


def nth_slot(index):
    """Slots two hours apart inside the 09-18 schedule, four a day, from Monday on."""
    day, rank = divmod(index, 4)
    return next_monday_at(8) + timedelta(days=day, hours=2 * rank)


def stored(engine, ids):
    with sessionmaker(bind=engine)() as session:
        appointments = session.execute(
            select(func.count()).select_from(Appointment).where(Appointment.campaign_id == ids["campaign"])
        ).scalar_one()
        taken = session.execute(select(Campaign.taken).where(Campaign.id == ids["campaign"])).scalar_one()
        return appointments, taken


def test_parallel_bookings_take_exactly_the_places_left(engine, wsgi_app, committed_tenant):
    names, ids, tokens = committed_tenant
    requests = [booking(names, tokens["operator"], names["agents"][i % 2], nth_slot(i // 2))
                for i in range(THREADS)]
    responses = fire(wsgi_app, requests)
    statuses = sorted(response.status_int for response in responses)
    assert statuses == [201] * 5 + [409] * (THREADS - 5)
    refusals = {response.json["error"]["code"] for response in responses if response.status_int == 409}
    assert refusals == {"quota_exhausted"}
    assert stored(engine, ids) == (5, 5)


def test_parallel_bookings_of_one_slot_give_it_to_exactly_one(engine, wsgi_app, committed_tenant):
    names, ids, tokens = committed_tenant
    start = next_monday_at(8)
    requests = [booking(names, tokens["operator"], names["agents"][0], start) for _ in range(THREADS)]
    responses = fire(wsgi_app, requests)
    statuses = sorted(response.status_int for response in responses)
    assert statuses == [201] + [409] * (THREADS - 1)
    refusals = {response.json["error"]["code"] for response in responses if response.status_int == 409}
    assert refusals == {"slot_taken"}
    # The refused bookings took a place before finding the slot taken: their rollback gave it back.
    assert stored(engine, ids) == (1, 1)
