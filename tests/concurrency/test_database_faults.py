"""The database's connections killed again and again while 16 operators book at once (README "Bad input"):
every answer is 201, a coded 4xx or a coded 503, nothing is half-written, oversold or double-booked,
and the next request works.

The killer terminates the backends of this test's own database only (``datname`` is the
database the suite created for this worker), never anyone else's, and never restarts the server.
"""
import threading
import time

import pytest
import webtest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

from benchmarks.checks import integrity
from tests.concurrency.test_booking_races import THREADS, booking, committed_tenant, fire, nth_slot  # noqa: F401


class Killer(threading.Thread):
    """Terminates every other backend of the database, ``rounds`` times ``pause`` seconds apart (or
    until stopped): a storm the bookings' retries outlive, since pyramid_retry retries at once. The
    rounds are close enough to meet bookings in flight however fast they run (16 bookings take well
    under a second), and the test stops the killer when the last answer is in."""

    def __init__(self, engine, rounds=200, pause=0.05):
        super().__init__(daemon=True)
        self.url = engine.url
        self.rounds, self.pause = rounds, pause
        self.stopped = threading.Event()
        self.terminated = 0

    def run(self):
        own = create_engine(self.url, isolation_level="AUTOCOMMIT")
        with own.connect() as connection:
            for _round in range(self.rounds):
                if self.stopped.is_set():
                    break
                self.terminated += connection.execute(text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
                time.sleep(self.pause)
        own.dispose()


def test_bookings_through_killed_connections_answer_cleanly_and_write_whole(engine, wsgi_app, committed_tenant):
    if engine.dialect.name != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's; SQLite has no server connections to kill")
    names, ids, tokens = committed_tenant
    retries = []
    from pyramid_retry import IBeforeRetry

    def count_retry(event):
        retries.append(event.exception.__class__.__name__)

    wsgi_app.registry.registerHandler(count_retry, (IBeforeRetry,))
    killer = Killer(engine)
    killer.start()
    try:
        requests = [booking(names, tokens["operator"], names["agents"][i % 2], nth_slot(i // 2))
                    for i in range(THREADS)]
        responses = fire(wsgi_app, requests)
    finally:
        killer.stopped.set()
        killer.join(timeout=30)
        wsgi_app.registry.unregisterHandler(count_retry, (IBeforeRetry,))

    assert killer.terminated > 0 and retries  # connections died under the bookings, which ran again
    answers = []
    for response in responses:
        assert response is not None
        if response.status_int == 201:
            answers.append("201")
            continue
        code = response.json["error"]["code"]
        assert (response.status_int, code) in {(409, "quota_exhausted"), (409, "slot_taken"),
                                               (503, "service_unavailable")}, response.text
        if response.status_int == 503:
            assert response.headers["Retry-After"].isdigit()
        answers.append(f"{response.status_int}:{code}")
    assert answers.count("201") <= 5  # a campaign of 5 places

    with sessionmaker(bind=engine)() as session:
        checks = integrity(session.connection().connection.driver_connection)
        taken, appointments = session.execute(text(
            "SELECT c.taken, (SELECT count(*) FROM appointments a WHERE a.campaign_id = c.id "
            "AND a.state IN ('to_confirm', 'confirmed')) FROM campaigns c WHERE c.id = :id"), {"id": ids["campaign"]}
        ).one()
    assert set(checks.values()) == {0}, checks
    # Every 201 is a row. A connection killed during COMMIT may have committed: its 503 says "retry", and
    # the retry meets its own appointment (slot_taken); no other row exists without its answer.
    assert taken == appointments
    assert answers.count("201") <= appointments <= answers.count("201") + answers.count("503:service_unavailable")

    # The storm is over: the next request works (the pool pings and replaces the dead connections).
    client = webtest.TestApp(wsgi_app, extra_environ={"HTTP_HOST": "localhost"})
    client.get(f"/api/v1/clients/{names['client']}", headers={"Authorization": f"Bearer {tokens['operator']}"},
               status=200)
    print(f"terminated {killer.terminated} backends; {len(retries)} retries; answers {sorted(answers)}")
