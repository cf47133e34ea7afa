"""Profile one scenario of the benchmark in a single process: SQL statements and milliseconds per request.

    python -m benchmarks.profile portal_bench_large booking --requests 200 [--cprofile]

Scenarios: floor, stack (the stack floor of benchmarks/app.py), booking, folder (/clients/big/), zone-folder
and agent-folder (the zone and the agent of `big` with the most appointments, chosen by SQL), list (page 1
of the appointments list API of client big) and list-deep (its page 1,000 at 50 a page, by the cursor of
the last row of page 999, read by SQL).

Runs the same requests as the wrk scripts through the WSGI app (no server, no concurrency),
so that N+1 queries and per-request work show without the noise of a loaded machine; with
--cprofile it prints the functions that cost the most. `make bench` makes the databases
(portal_bench_small, portal_bench_large).
"""
import argparse
import cProfile
import json
import os
import pstats
import time
from collections import Counter
from datetime import datetime, timezone
from itertools import islice

import psycopg
import webtest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from benchmarks import generate
from benchmarks.app import FLOOR_PATH, STACK_FLOOR_PATH, application_from_ini
from benchmarks.run import ROOT, booking_slots, busiest_folders, pg_url, sqlalchemy_url
from callcenter.appointments.cursors import encode_cursor

LIST_PATH = "/api/v1/clients/big/appointments"
DEEP_PAGE = 1000


def deep_list_path(database, page=DEEP_PAGE, per_page=50):
    """The list API's page ``page``, the way a client gets there (following ``next``) but in one step:
    ``after=`` the cursor of the last row of the page before, in the list's order (latest first)."""
    with psycopg.connect(pg_url(database)) as conn:
        position = conn.execute(
            "SELECT a.start_at, a.id FROM appointments a JOIN clients c ON c.id = a.client_id WHERE c.slug = 'big' "
            "ORDER BY a.start_at DESC, a.id DESC OFFSET %s LIMIT 1", ((page - 1) * per_page - 1,)).fetchone()
    if position is None:
        raise SystemExit(f"client big has fewer than {(page - 1) * per_page} appointments")
    return f"{LIST_PATH}?after={encode_cursor(position)}"


def requests_of(scenario, database, count, seed):
    operator = {"Authorization": "Bearer " + generate.token_secret(seed, "operator")}
    client = {"Authorization": "Bearer " + generate.token_secret(seed, "client")}
    if scenario == "floor":
        return [("GET", FLOOR_PATH, None, {})] * count
    if scenario == "folder":
        return [("GET", "/clients/big/", None, client)] * count
    if scenario in ("zone-folder", "agent-folder"):
        return [("GET", busiest_folder(database, scenario), None, client)] * count
    if scenario == "list":
        return [("GET", LIST_PATH, None, client)] * count
    if scenario == "list-deep":
        return [("GET", deep_list_path(database), None, client)] * count
    # Bookings far after the benchmark's own, so that a profile never meets a slot it booked.
    scale = generate.Scale(today=datetime.now(timezone.utc).date(), seed=seed)
    slots = booking_slots(database, scale, ["client-0005"], "current")
    first = profiled_bookings(database)  # the slots after those of earlier profiles
    path = STACK_FLOOR_PATH if scenario == "stack" else "/api/v1/clients/{client}/campaigns/{campaign}/appointments"
    return [("POST", path.format(client=c, campaign=k),
             {"agent": agent, "start": start.isoformat(),
              "prospect": {"name": "Bar Profilo", "phone": "+39 02 1234567", "postal_code": postal + "00"}},
             operator) for c, k, agent, postal, start in islice(slots, 200_000 + first, 200_000 + first + count)]


def busiest_folder(database, scenario):
    """The folder home of the zone or the agent of `big` with the most appointments, as run.py picks them."""
    zone, agent = busiest_folders(database)
    return f"/clients/big/zones/{zone}/" if scenario == "zone-folder" else f"/clients/big/agents/{agent}/"


def postgres_cpu():
    """Seconds of CPU the PostgreSQL processes of this machine have used (user and system), from /proc;
    0 where there is no /proc or the server runs elsewhere."""
    total, tick = 0, os.sysconf("SC_CLK_TCK")
    for pid in filter(str.isdigit, os.listdir("/proc") if os.path.isdir("/proc") else []):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                name, fields = stat.read().split(" (", 1)[1].split(")", 1)
            if name.startswith("postgres"):
                values = fields.split()
                total += int(values[11]) + int(values[12])
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile
    return total / tick


def profiled_bookings(database):
    with psycopg.connect(pg_url(database)) as conn:
        return conn.execute("SELECT count(*) FROM appointments WHERE prospect_name = 'Bar Profilo'").fetchone()[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database")
    parser.add_argument("scenario", choices=("floor", "stack", "booking", "folder", "zone-folder", "agent-folder",
                                             "list", "list-deep"))
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("--statements", action="store_true", help="print the statements of one request")
    args = parser.parse_args(argv)
    os.environ.update(PORTAL_DATABASE_URL=sqlalchemy_url(args.database), PORTAL_SECRET="profile-" + "x" * 32,
                      PORTAL_REDIS_URL="")
    app = webtest.TestApp(application_from_ini(str(ROOT / "production.ini")))
    statements = []
    event.listen(Engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    todo = requests_of(args.scenario, args.database, args.requests + 21, args.seed)
    spare = todo.pop()  # for --statements: a booking not sent yet (a repeated one is refused with slot_taken)

    def send(method, path, body, headers):
        if method == "GET":
            return app.get(path, headers=headers, status="*")
        return app.post(path, json.dumps(body), headers=dict(headers, **{"Content-Type": "application/json"}),
                        status="*")

    for request in todo[:20]:  # warm the caches
        send(*request)
    statements.clear()
    statuses = Counter()
    # CPU time, not wall time: waiting for PostgreSQL (a COMMIT's fsync) is not this process's cost.
    profiler = cProfile.Profile(time.process_time) if args.cprofile else None
    began, cpu_began, database_began = time.perf_counter(), time.process_time(), postgres_cpu()
    if profiler:
        profiler.enable()
    for request in todo[20:]:
        statuses[send(*request).status_int] += 1
    if profiler:
        profiler.disable()
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    database = postgres_cpu() - database_began
    # CPU time of this process (the app's own work, without waiting for PostgreSQL): steadier than the
    # elapsed time when other programs share the machine; and PostgreSQL's, which the same machine pays.
    print(f"{args.scenario}: {1000 * elapsed / args.requests:.2f} ms ({1000 * cpu / args.requests:.2f} ms CPU, "
          f"PostgreSQL {1000 * database / args.requests:.2f} ms CPU) and "
          f"{len(statements) / args.requests:.1f} SQL statements per request; answers {dict(statuses)}")
    if args.statements:
        statements.clear()
        print(f"  one request ({send(*spare).status_int}):")
        for statement in statements:
            print("  " + " ".join(statement.split())[:160])
    if profiler:
        lines = int(os.environ.get("PROFILE_LINES", "40"))
        pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(lines)


if __name__ == "__main__":
    main()
