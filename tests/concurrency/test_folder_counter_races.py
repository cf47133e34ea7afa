"""Parallel bookings and confirmations keep the zone and agent folders' counters equal to their rows
(each request commits for real on its own connection; atomic upserts, no lost update, no deadlock)."""
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from callcenter.appointments.models import Appointment, FolderCounter
from tests.callcenter.appointments.test_counters import counted_from_rows
from tests.concurrency.test_booking_races import booking, committed_tenant, nth_slot  # noqa: F401
from tests.helpers import fire

THREADS = 16


def folder_counters(engine, ids):
    with sessionmaker(bind=engine)() as session:
        agents = select(Appointment.agent_id).where(Appointment.campaign_id == ids["campaign"])
        rows = session.execute(select(FolderCounter).where(FolderCounter.agent_id.in_(agents))).scalars().all()
        kept = {(row.agent_id, row.zone_id): (row.taken, row.to_confirm, row.cancelled) for row in rows}
        return kept, counted_from_rows(session)


def test_parallel_bookings_and_confirmations_keep_the_folder_counters(engine, wsgi_app, committed_tenant):  # noqa: F811
    names, ids, tokens = committed_tenant  # 5 places, two agents in two zones
    requests = [booking(names, tokens["operator"], names["agents"][i % 2], nth_slot(i // 2)) for i in range(THREADS)]
    responses = fire(wsgi_app, requests)
    assert sorted(response.status_int for response in responses)[:5] == [201] * 5
    kept, counted = folder_counters(engine, ids)
    assert kept == counted
    assert sum(taken for taken, _to_confirm, _cancelled in kept.values()) == 5

    numbers = [response.json["number"] for response in responses if response.status_int == 201]
    headers = {"Authorization": f"Bearer {tokens['operator']}"}
    confirmations = [(f"/api/v1/clients/{names['client']}/appointments/{number}/confirm", {}, headers)
                     for number in numbers for _twice in range(2)]  # each one twice: one wins, one conflicts
    answers = fire(wsgi_app, confirmations)
    assert sorted(answer.status_int for answer in answers) == [200] * 5 + [409] * 5
    kept, counted = folder_counters(engine, ids)
    assert kept == counted
    assert {to_confirm for _taken, to_confirm, _cancelled in kept.values()} == {0}
