"""`make soak`: the production setup under a mixed load for a long while (README "Bad input"), then what must hold.

gunicorn on production.ini (as `make bench` serves it: several processes, one thread each, Redis for
the jobs, on 127.0.0.1 only) over a copy of a generated data set in a database of its own
(``portal_soak_run``, from the template ``portal_soak_tpl_*``), driven for ``--minutes`` (default 10)
by client threads mixing bookings (the operators' API), folder pages and appointment lists. It prints:

- the answers by status (any 5xx or socket error fails the run);
- each gunicorn worker's resident memory after the warm-up and at the end (growth must stay under 10 %);
- PostgreSQL's connections to the database at the end (at most processes x (pool_size + max_overflow));
- the consistency checks of ``benchmarks/checks.py`` (all must be 0).

Exit status 0 when everything holds. ``--minutes 2`` for a short check.
"""
import argparse
import http.client
import json
import os
import sys
import threading
import time
from collections import Counter
from datetime import date, datetime, timezone
from pathlib import Path

import psycopg

from benchmarks import generate
from benchmarks.checks import integrity
from benchmarks.run import Server, booking_slots, fresh_copy, pg_url, template_for, forget_queue, machine

# production.ini: each process's pool may open pool_size + max_overflow connections.
CONNECTIONS_PER_PROCESS = 2 + 3
MEMORY_GROWTH_LIMIT = 0.10
WARM_UP_SECONDS = 30  # every process serves every kind of request before its memory is read
# The mix, per round of a client thread: one booking, two folder pages, three list calls.
MIX = ("book", "folder", "list", "folder", "list", "list")
LIST_PATH = "/api/v1/clients/big/appointments"


def worker_pids(master):
    """gunicorn's worker processes: the children of its master."""
    children = Path(f"/proc/{master}/task/{master}/children")
    return sorted(int(pid) for pid in children.read_text().split())


def rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Load:
    """Client threads, each with its own keep-alive connection, going round ``MIX`` until told to stop."""

    def __init__(self, port, slots, operator, client, threads):
        self.port, self.slots, self.operator, self.client = port, slots, operator, client
        self.threads = threads
        self.lock = threading.Lock()
        self.answers = Counter()
        self.samples = []
        self.stopped = threading.Event()
        self.list_path = LIST_PATH
        self.list_pages = 0

    def request(self, connection, method, path, token, body=None, keep=None):
        headers = {"Authorization": f"Bearer {token}", "Accept-Language": "it"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = connection.getresponse()
        data = response.read()
        answer = str(response.status)
        if response.status >= 400 and response.getheader("Content-Type", "").startswith("application/json"):
            answer += ":" + json.loads(data)["error"]["code"]
        if response.status >= 500 and len(self.samples) < 5:
            self.samples.append(f"{method} {path}: {data[:300]!r}")
        if keep is not None and response.status == 200:
            keep(json.loads(data))
        return answer

    def one(self, connection, kind):
        if kind == "book":
            with self.lock:
                client, campaign, agent, postal, start = next(self.slots)
            body = {"agent": agent, "start": start.isoformat(),
                    "prospect": {"name": "Bar Soak", "phone": "+39 02 1234567", "postal_code": postal + "00"}}
            return "book " + self.request(connection, "POST", f"/api/v1/clients/{client}/campaigns/{campaign}"
                                          f"/appointments", self.operator, body)
        if kind == "folder":
            return "folder " + self.request(connection, "GET", "/clients/big/", self.client)
        with self.lock:
            path = self.list_path
        return "list " + self.request(connection, "GET", path, self.client, keep=self.follow)

    def follow(self, page):
        """Pages 1 to 5 of the list by their next links, then page 1 again."""
        with self.lock:
            self.list_pages = self.list_pages % 5 + 1
            following = page["next"] is not None and self.list_pages < 5
            self.list_path = page["next"] if following else LIST_PATH

    def run_thread(self):
        local = Counter()
        while not self.stopped.is_set():
            # A connection per round: gunicorn's processes share the accepted connections, so each
            # of them serves every kind of request (a kept-alive connection stays with one process).
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            for kind in MIX:
                if self.stopped.is_set():
                    break
                try:
                    local[self.one(connection, kind)] += 1
                except (OSError, http.client.HTTPException) as error:
                    local[f"{kind} socket error"] += 1
                    if len(self.samples) < 5:
                        self.samples.append(f"{kind}: {error!r}")
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            connection.close()
        with self.lock:
            self.answers.update(local)

    def run(self, seconds):
        self.stopped.clear()
        self.answers = Counter()
        threads = [threading.Thread(target=self.run_thread) for _ in range(self.threads)]
        for thread in threads:
            thread.start()
        time.sleep(seconds)
        self.stopped.set()
        for thread in threads:
            thread.join(timeout=60)
        return self.answers


def connections_to(database):
    with psycopg.connect(pg_url("postgres")) as conn:
        return conn.execute("SELECT count(*), count(*) FILTER (WHERE state = 'idle in transaction') "
                            "FROM pg_stat_activity WHERE datname = %s", (database,)).fetchone()


def run(args):
    today = args.today or datetime.now(timezone.utc).date()
    scale = generate.Scale(appointments=args.appointments, clients=args.clients, agents=args.agents, seed=args.seed,
                           today=today)
    database = fresh_copy(template_for(scale, args.prefix), f"{args.prefix}_run")
    operator, client = generate.token_secret(args.seed, "operator"), generate.token_secret(args.seed, "client")
    open_clients = [generate.client_slug(i) for i in range(min(generate.OPEN_CLIENTS, args.clients))]
    slots = booking_slots(database, scale, open_clients, "current")
    queue = f"portal-soak-{os.getpid()}"
    began = datetime.now(timezone.utc)
    server = Server(database, args.workers, 1, queue)
    try:
        load = Load(server.port, slots, operator, client, args.threads)
        print(f"soak: gunicorn {args.workers} processes on {server.url}, {args.threads} client threads, "
              f"{args.minutes} min after {WARM_UP_SECONDS} s of warm-up; database {database}", flush=True)
        load.run(WARM_UP_SECONDS)
        pids = worker_pids(server.process.pid)
        start_rss = {pid: rss_kb(pid) for pid in pids}
        answers = load.run(args.minutes * 60)
        end_pids = worker_pids(server.process.pid)
        end_rss = {pid: rss_kb(pid) for pid in end_pids}
        total, idle_in_transaction = connections_to(database)
        with psycopg.connect(pg_url(database)) as conn:
            checks = integrity(conn)
    finally:
        server.stop()
        forget_queue(queue)
    elapsed = (datetime.now(timezone.utc) - began).total_seconds()

    failures = []
    print(f"\nSoak of {began:%Y-%m-%d %H:%M} UTC, {args.minutes} min of load ({elapsed / 60:.1f} min in all) on "
          f"{machine()}")
    print("\nanswers by status:")
    for answer, count in sorted(answers.items()):
        print(f"  {answer:40} {count:8}")
    print(f"  {'total':40} {sum(answers.values()):8}  ({sum(answers.values()) / (args.minutes * 60):.1f}/s)")
    bad = {answer: count for answer, count in answers.items()
           if " 5" in answer or "socket" in answer}
    if bad:
        failures.append(f"5xx or socket errors: {bad}")
        for sample in load.samples:
            print(f"  sample: {sample}")
    print("\ngunicorn workers' resident memory (after warm-up -> end):")
    if set(end_pids) != set(pids):
        failures.append(f"the workers changed (a worker died or was recycled): {pids} -> {end_pids}")
    for pid in pids:
        start, end = start_rss[pid], end_rss.get(pid, 0)
        growth = (end - start) / start if start else float("inf")
        print(f"  pid {pid}: {start / 1024:.1f} MB -> {end / 1024:.1f} MB ({growth:+.1%})")
        if growth >= MEMORY_GROWTH_LIMIT:
            failures.append(f"worker {pid} grew {growth:.1%}")
    limit = args.workers * CONNECTIONS_PER_PROCESS
    print(f"\nPostgreSQL connections to {database} at the end: {total} (idle in transaction {idle_in_transaction}); "
          f"the pools allow at most {limit}")
    if total > limit or idle_in_transaction:
        failures.append(f"connections: {total} (idle in transaction {idle_in_transaction}), limit {limit}")
    print("\nconsistency checks (all must be 0): " + ", ".join(f"{key} {value}" for key, value in checks.items()))
    if any(checks.values()):
        failures.append(f"consistency: {checks}")
    print("\n" + ("SOAK PASSED" if not failures else "SOAK FAILED: " + "; ".join(failures)))
    return 0 if not failures else 1


def main(argv=None):
    parser = argparse.ArgumentParser(description="the portal under a long mixed load (make soak)")
    parser.add_argument("--minutes", type=float, default=10, help="length of the load, after the warm-up")
    parser.add_argument("--threads", type=int, default=8, help="client threads (connections)")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1), help="gunicorn processes")
    parser.add_argument("--appointments", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--today", type=date.fromisoformat)
    parser.add_argument("--prefix", default="portal_soak", help="names of the soak's databases")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
