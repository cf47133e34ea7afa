"""Excel export benchmark: time and peak memory at 10,000 and 100,000 appointments (spec §4).

A plain script, not part of `make test`:

    .venv/bin/python benchmarks/export.py                     # 10,000 then 100,000 rows
    .venv/bin/python benchmarks/export.py --rows 20000 --rows 200000
    PORTAL_BENCH_POSTGRES_URL=postgresql+psycopg://root@127.0.0.1:5432/ .venv/bin/python benchmarks/export.py

It creates a scratch PostgreSQL database (dropped at the end), migrates it, bulk-inserts seeded
appointments with COPY, and runs the export the job runs (``callcenter.reports.exports.write_workbook``:
a server-side cursor feeding openpyxl's write-only workbook). Each size runs in a child process,
so that its peak resident memory (``VmHWM``) is its own. ``--tracemalloc`` also prints the peak
of Python allocations (tracemalloc slows the export about twofold, so the time is then not
the real one).
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

SERVER = os.environ.get("PORTAL_BENCH_POSTGRES_URL", "postgresql+psycopg://root@127.0.0.1:5432/")
STATES = ("to_confirm", "confirmed", "cancelled")
OUTCOMES = (None, None, "held", "no_show", "excused")


def scratch_database(name):
    admin = sa.create_engine(SERVER + "postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return SERVER + name


def drop_database(name):
    admin = sa.create_engine(SERVER + "postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def migrate(url):
    from alembic import command
    from alembic.config import Config

    config = Config(str(ROOT / "development.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    engine.dispose()


def seed(url, rows, seed_value=7):
    """A client with 4 zones, 40 agents, 2 campaigns with fields, and ``rows`` appointments (COPY)."""
    from agents.models import Agent, Zone
    from campaigns.models import Campaign, CampaignField, Client

    engine = sa.create_engine(url)
    random.seed(seed_value)
    with sessionmaker(bind=engine)() as session:
        client = Client(slug="bench", name="Bench", timezone="Europe/Rome", country="IT", last_appointment_number=rows)
        session.add(client)
        session.flush()
        zones = [Zone(client_id=client.id, slug=f"zone-{i}", name=f"Zone {i}", provinces=[], postal_codes=[])
                 for i in range(4)]
        session.add_all(zones)
        session.flush()
        agents = [Agent(client_id=client.id, slug=f"agent-{i}", name=f"Agent {i}", email=f"a{i}@bench.test")
                  for i in range(40)]
        session.add_all(agents)
        campaigns = [Campaign(client_id=client.id, slug=f"campaign-{i}", name=f"Campaign {i}", appointment_minutes=60,
                              buffer_minutes=30, cutoff_hours=36, purchased=rows, taken=0, to_confirm=0, cancelled=0,
                              recovered=0, recoveries_pending=0, recoveries_per_day=2, alert_thresholds=[])
                     for i in range(2)]
        session.add_all(campaigns)
        session.flush()
        for campaign in campaigns:
            session.add(CampaignField(campaign_id=campaign.id, name="budget", label="Budget", kind="number",
                                      choices=[], position=0))
            session.add(CampaignField(campaign_id=campaign.id, name="visit", label="Visit", kind="date",
                                      choices=[], position=1))
        session.commit()
        client_id = client.id
        zone_ids = [zone.id for zone in zones]
        agent_ids = [agent.id for agent in agents]
        campaign_ids = [campaign.id for campaign in campaigns]

    start = datetime(2025, 1, 6, 8, 0, tzinfo=timezone.utc)
    columns = ("client_id", "number", "campaign_id", "agent_id", "zone_id", "start_at", "end_at", "busy_until",
               "state", "prospect_name", "prospect_phone", "prospect_postal_code", "notes", "fields",
               "out_of_schedule", "cancel_reason", "outcome", "outcome_notes", "needs_rescheduling", "created_at")
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY appointments ({', '.join(columns)}) FROM STDIN") as copy:
                for number in range(1, rows + 1):
                    begins = start + timedelta(minutes=90 * number)
                    agent = number % len(agent_ids)
                    state = random.choices(STATES, weights=(3, 6, 1))[0]
                    copy.write_row((
                        client_id, number, campaign_ids[number % 2], agent_ids[agent], zone_ids[agent % 4],
                        begins, begins + timedelta(hours=1), begins + timedelta(minutes=90), state,
                        f"Prospect {number}", f"+39 02 {number:07d}", f"{20100 + number % 900}",
                        "Ring twice" if number % 7 == 0 else "",
                        json.dumps({"budget": number % 5000, "visit": (begins.date() + timedelta(days=3)).isoformat()}),
                        False, "", random.choice(OUTCOMES) if state != "to_confirm" else None, "", False,
                        begins - timedelta(days=5),
                    ))
        raw.commit()
    finally:
        raw.close()
    engine.dispose()
    return client_id


def run_export(url, client_id, trace=False):
    """One export as the job writes it; prints a JSON line of its figures."""
    from callcenter.reports.exports import write_workbook
    from callcenter.appointments.services import AppointmentFilters
    from campaigns.models import Client
    import portal  # noqa: F401 (mappers)
    import agents.models  # noqa: F401
    import callcenter.appointments.models  # noqa: F401
    import portal.jobs.outbox  # noqa: F401
    import portal.history  # noqa: F401
    import campaigns.alerts  # noqa: F401
    from sqlalchemy.orm import configure_mappers

    configure_mappers()
    engine = sa.create_engine(url)
    progress_calls = []
    with sessionmaker(bind=engine)() as session, tempfile.TemporaryDirectory() as folder:
        client = session.get(Client, client_id)
        target = Path(folder) / "export.xlsx"
        if trace:
            tracemalloc.start()
        # The process's resident peak before the export (the app's code and a first query loaded): what
        # the export adds to a worker is the peak after it less this.
        rss_before = peak_resident_mb()
        began = time.perf_counter()
        report = write_workbook(str(target), session, client=client, scope={"client_id": client_id},
                                filters=AppointmentFilters(), translate=str, progress=progress_calls.append,
                                batch=1000)
        seconds = time.perf_counter() - began
        traced_peak = tracemalloc.get_traced_memory()[1] if trace else 0
        tracemalloc.stop()
        size = target.stat().st_size
    engine.dispose()
    print(json.dumps({"rows": report["total"], "seconds": round(seconds, 2), "file_mb": round(size / 2**20, 1),
                      "python_peak_mb": round(traced_peak / 2**20, 1) if trace else None,
                      "maxrss_mb": round(peak_resident_mb(), 1),
                      "rss_before_mb": round(rss_before, 1),
                      "rows_per_second": round(report["total"] / seconds),
                      "progress_reports": len(progress_calls)}))


def peak_resident_mb():
    """This process's peak resident memory in MB: ``VmHWM``, the high-water mark of its own memory.
    Not ``ru_maxrss``: Linux carries that across ``exec``, so a child started by a process that once
    held 1.4 GB (the generator of the million appointments) would report 1.4 GB before and after."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="appointments to export (repeatable)")
    parser.add_argument("--tracemalloc", action="store_true", help="also measure Python's peak allocations")
    parser.add_argument("--child", nargs=2, metavar=("URL", "CLIENT_ID"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_export(args.child[0], int(args.child[1]), trace=args.tracemalloc)
        return
    for rows in args.rows or [10_000, 100_000]:
        figures = measure(rows, trace=args.tracemalloc)
        print(f"{rows:>9,} appointments  inserted in {figures['inserted_seconds']:6.1f} s  |  export "
              f"{figures['seconds']:6.1f} s ({figures['rows_per_second']:,} rows/s), {figures['file_mb']:5.1f} MB file, "
              f"peak RSS {figures['rss_before_mb']:6.1f} -> {figures['maxrss_mb']:6.1f} MB, "
              + (f"Python peak {figures['python_peak_mb']:5.1f} MB, " if args.tracemalloc else "")
              + f"{figures['progress_reports']} progress reports",
              flush=True)


def measure(rows, trace=False):
    """A scratch database of ``rows`` appointments, exported by a child process: its figures."""
    name = f"portal_bench_export_{os.getpid()}"
    url = scratch_database(name)
    try:
        migrate(url)
        began = time.perf_counter()
        client_id = seed(url, rows)
        inserted = time.perf_counter() - began
        command = [sys.executable, __file__, "--child", url, str(client_id)]
        child = subprocess.run(command + (["--tracemalloc"] if trace else []), check=True,
                               capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        figures["inserted_seconds"] = inserted
        figures["growth_mb"] = figures["maxrss_mb"] - figures["rss_before_mb"]
        return figures
    finally:
        drop_database(name)


if __name__ == "__main__":
    main()
