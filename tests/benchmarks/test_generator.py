"""A smoke run of the benchmark's data generator and of its booking loads, at a tiny scale (PostgreSQL only)."""
from datetime import date, timedelta
from itertools import islice

import psycopg
import pytest
import sqlalchemy as sa
import webtest

from agents.availability import public_holidays
from benchmarks import generate
from benchmarks.app import STACK_FLOOR_PATH, application_from_ini
from benchmarks.checks import integrity
from benchmarks.run import ROOT, booking_slots, database_floor
from tests.conftest import BACKENDS, POSTGRES_SERVER, TEST_DATABASE, fresh_postgres_database, migrate

pytestmark = pytest.mark.skipif("postgresql" not in BACKENDS, reason="the benchmarks run on PostgreSQL")
TODAY = date(2026, 11, 23)


@pytest.fixture(scope="module")
def generated():
    url = fresh_postgres_database(TEST_DATABASE + "_bench")
    engine = sa.create_engine(url)
    migrate(engine)
    engine.dispose()
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    scale = generate.Scale(clients=12, agents=60, appointments=900, seed=3, today=TODAY)
    generate.generate(plain, scale)
    return plain, scale


def test_generated_rows_keep_every_counter_as_the_services_would(generated):
    url, scale = generated
    with psycopg.connect(url) as conn:
        assert integrity(conn) == {"oversold": 0, "double_booked": 0, "counter_mismatches": 0,
                                   "folder_counter_mismatches": 0, "number_mismatches": 0}
        assert conn.execute("SELECT sum(taken + cancelled) FROM folder_counters").fetchone()[0] == 900
        assert conn.execute("SELECT count(*) FROM appointments").fetchone()[0] == 900
        states = dict(conn.execute("SELECT state, count(*) FROM appointments GROUP BY state").fetchall())
        assert set(states) == {"to_confirm", "confirmed", "cancelled"}
        # The big client has a tenth of everything; the hot campaign has few places left.
        assert conn.execute("SELECT last_appointment_number FROM clients WHERE slug = 'big'").fetchone()[0] == 90
        left = conn.execute("SELECT purchased - taken - recoveries_pending FROM campaigns WHERE slug = 'hot'")
        assert left.fetchone()[0] == generate.HOT_PLACES_LEFT


def test_the_same_seed_gives_the_same_rows(generated):
    url, scale = generated
    again = fresh_postgres_database(TEST_DATABASE + "_bench2")
    engine = sa.create_engine(again)
    migrate(engine)
    engine.dispose()
    again = again.replace("postgresql+psycopg://", "postgresql://")
    generate.generate(again, scale)
    query = "SELECT md5(string_agg(concat_ws(',', number, agent_id, start_at, state), ';' ORDER BY id)) FROM appointments"
    with psycopg.connect(url) as first, psycopg.connect(again) as second:
        assert first.execute(query).fetchone() == second.execute(query).fetchone()


def test_booking_slots_are_distinct_working_hours_after_the_generated_calendar(generated):
    url, scale = generated
    database = url.rsplit("/", 1)[1]
    slots = list(islice(booking_slots_of(database, scale), 500))
    assert len({(agent, start) for _c, _k, agent, _p, start in slots}) == 500
    for _client, _campaign, _agent, _postal, start in slots:
        assert start.date() > TODAY + timedelta(days=generate.FUTURE_DAYS)
        assert start.weekday() < 5 and start.date() not in public_holidays("IT", start.year)
        assert start.timetz().replace(tzinfo=None) in generate.SLOT_STARTS


def test_the_database_floor_books_without_overselling(generated):
    url, scale = generated
    database = url.rsplit("/", 1)[1]
    result = database_floor(database, booking_slots_of(database, scale), seconds=1, connections=4)
    assert result["answers"].get("201", 0) > 0
    with psycopg.connect(url) as conn:
        assert integrity(conn)["oversold"] == 0
        assert integrity(conn)["double_booked"] == 0
        assert integrity(conn)["counter_mismatches"] == 0


def booking_slots_of(database, scale):
    return booking_slots(database, scale, ["big", "client-0001"], "current")


@pytest.fixture(autouse=True)
def test_server(monkeypatch):
    """The benchmark's psycopg URLs point at the tests' PostgreSQL server."""
    import benchmarks.run

    monkeypatch.setattr(benchmarks.run, "SERVER", POSTGRES_SERVER.rstrip("/").replace("+psycopg", ""))


def test_the_stack_floor_books_through_the_portals_authentication(generated, monkeypatch):
    url, scale = generated
    database = url.rsplit("/", 1)[1]
    monkeypatch.setenv("PORTAL_DATABASE_URL", url.replace("postgresql://", "postgresql+psycopg://", 1))
    monkeypatch.setenv("PORTAL_SECRET", "stack-floor-" + "x" * 32)
    monkeypatch.setenv("PORTAL_REDIS_URL", "")
    app = webtest.TestApp(application_from_ini(str(ROOT / "production.ini")))
    # Far after the database floor's slots (that test books for a second).
    client, campaign, agent, postal, start = next(islice(booking_slots_of(database, scale), 50_000, None))
    path = STACK_FLOOR_PATH.format(client=client, campaign=campaign)
    body = {"agent": agent, "start": start.isoformat(),
            "prospect": {"name": "Bar Floor", "phone": "+39 02 1234567", "postal_code": postal + "00"}}
    app.post_json(path, body, status=403)
    operator = {"Authorization": "Bearer " + generate.token_secret(scale.seed, "operator")}
    with psycopg.connect(url) as conn:
        taken_before = folder_taken(conn, client, agent)
    booked = app.post_json(path, body, headers=operator, status=201).json
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT a.number, a.state, c.action FROM appointments a JOIN changes c ON "
                           "c.appointment_id = a.id JOIN clients k ON k.id = a.client_id "
                           "WHERE k.slug = %s AND a.number = %s", (client, booked["number"])).fetchone()
        assert row == (booked["number"], "to_confirm", "booked")
        assert integrity(conn)["counter_mismatches"] == 0
        # The agent's folder counts it (the database floor of run.py, run before, does not keep them).
        assert folder_taken(conn, client, agent) == taken_before + 1


def folder_taken(conn, client, agent):
    return conn.execute("SELECT coalesce(sum(f.taken), 0) FROM folder_counters f JOIN agents a ON a.id = f.agent_id "
                        "JOIN clients k ON k.id = a.client_id WHERE k.slug = %s AND a.slug = %s",
                        (client, agent)).fetchone()[0]
