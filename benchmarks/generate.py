"""A realistic, seeded data set on PostgreSQL for the benchmarks (spec §10).

    python -m benchmarks.generate postgresql://root@127.0.0.1/portal_bench --appointments 1000000

1,000 clients, 10,000 agents in their zones with weekly schedules, campaigns with
confirmed steps, appointments over two years (past and upcoming, in every state,
with their cancellation requests, recoveries and history lines). The first
client is the big one the benchmarks look at: it has a tenth of the agents and
a tenth of the appointments, so its folder grows a hundredfold between 10,000
and 1,000,000 appointments.

Every counter is what the services would have left: a campaign's purchased,
taken, to_confirm, cancelled, recovered and recoveries_pending, the zone and
agent folders' counters (folder_counters), a client's last_appointment_number,
the id sequences. Rows go in with COPY, with the big
tables' indexes and constraints dropped and built again afterwards (much faster
than maintaining them row by row). The same seed and day give the same rows.
"""
import argparse
import random
import time as timer
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import psycopg

TZ = "Europe/Rome"
ROME = ZoneInfo(TZ)
PASSWORD = "bench-password"
# The working week of every agent (weekday, start, end), and the meeting starts that fit in it:
# 60 minutes plus the 30 minutes of travel buffer, so consecutive starts never overlap.
SCHEDULE = [(weekday, start, end) for weekday in range(5) for start, end in ((time(9), time(13)), (time(14), time(18)))]
SLOT_STARTS = (time(9), time(10, 30), time(12), time(14), time(15, 30), time(17))
APPOINTMENT_MINUTES, BUFFER_MINUTES = 60, 30
PAST_DAYS, FUTURE_DAYS = 640, 90  # two years of appointments around the day of generation
# Bookings made by the load benchmark start after the generated calendar, on free slots.
BOOKING_FROM_DAYS = FUTURE_DAYS + 14
OPEN_CLIENTS = 8  # clients whose current campaign has plenty of quota left (the booking benchmark)
OPEN_HEADROOM = 50_000
HOT_PLACES_LEFT = 20  # the hot row: one campaign with few places left
PROVINCES = ("MI", "TO", "BO", "RM", "NA", "FI", "VE", "GE", "BA", "PA", "CA", "TS", "PD", "VR", "BS", "BG")
FIRST_NAMES = ("Mario", "Laura", "Paolo", "Giulia", "Luca", "Anna", "Marco", "Sara", "Andrea", "Elena",
               "Giorgio", "Chiara", "Franco", "Marta", "Stefano", "Silvia")
LAST_NAMES = ("Rossi", "Bianchi", "Verdi", "Russo", "Ferrari", "Esposito", "Romano", "Colombo", "Ricci",
              "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Costa")
BUSINESSES = ("Bar", "Ferramenta", "Studio", "Panificio", "Hotel", "Ottica", "Farmacia", "Autofficina",
              "Pizzeria", "Fioreria", "Agenzia", "Cartoleria")
CANCEL_REASONS = ("prospect_unreachable", "wrong_target", "duplicate")
BIG_TABLES = ("appointments", "changes", "cancellation_requests", "recoveries", "schedule_intervals",
              "agent_zones", "agents", "users", "unavailabilities")


@dataclass
class Scale:
    clients: int = 1000
    agents: int = 10_000
    appointments: int = 10_000
    seed: int = 7
    today: date = field(default_factory=lambda: datetime.now(timezone.utc).date())


def client_slug(index):
    return "big" if index == 0 else f"client-{index:04d}"


def agent_slug(index):
    return f"agent-{index:05d}"


def token_secret(seed, who):
    """The API token secrets the benchmarks send (only their SHA-256 is stored)."""
    return f"qp_bench_{who}_{seed}"


def share(total, parts, first_share):
    """Split ``total``: the first part gets ``first_share`` of it, the others the rest evenly."""
    first = round(total * first_share)
    rest, extra = divmod(total - first, parts - 1)
    return [first] + [rest + (1 if i < extra else 0) for i in range(parts - 1)]


def working_days(first, last):
    days, day = [], first
    while day <= last:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def utc(day, wall_time):
    return datetime.combine(day, wall_time, ROME).astimezone(timezone.utc)


class Generator:
    def __init__(self, conn, scale):
        self.conn, self.scale = conn, scale
        self.random = random.Random(scale.seed)
        self.now = datetime.combine(scale.today, time(6), timezone.utc)
        self.ids = defaultdict(int)

    def next_id(self, table):
        self.ids[table] += 1
        return self.ids[table]

    def copy(self, table, columns, rows):
        with self.conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def run(self):
        started = timer.monotonic()
        saved = drop_indexes(self.conn, BIG_TABLES)
        self.people_and_folders()
        self.appointments()
        self.unavailabilities()
        restore_indexes(self.conn, saved)
        for table, last in self.ids.items():
            self.conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", (max(last, 1),))
        self.conn.commit()
        self.conn.autocommit = True
        self.conn.execute("VACUUM ANALYZE")
        self.conn.autocommit = False
        return timer.monotonic() - started

    # --- clients, users, zones, agents, campaigns ------------------------------------------------------

    def people_and_folders(self):
        scale, rnd, now = self.scale, self.random, self.now
        from argon2 import PasswordHasher  # one hash, shared by every bench login

        password_hash = PasswordHasher().hash(PASSWORD)
        users, tokens = [], []
        self.operator_id = self.user(users, "operator@bench.example", "operator", password_hash)
        self.manager_ids = [self.user(users, f"manager{i}@bench.example", "account_manager", password_hash)
                            for i in range(10)]
        self.user(users, "admin@bench.example", "admin", password_hash)
        tokens.append((self.next_id("api_tokens"), self.operator_id, "bench",
                       digest(token_secret(scale.seed, "operator")), "qp_bench_o", now))
        self.agents_of = []  # per client: [(agent_id, zone_id)]
        self.zone_of_agent, self.slug_of_agent = {}, {}
        clients, zones, agents, agent_zones, schedule = [], [], [], [], []
        agents_per_client = share(scale.agents, scale.clients, 0.10)
        agent_index = 0
        for index in range(scale.clients):
            client_id = self.next_id("clients")
            clients.append(client_id)
            zone_count = 10 if index == 0 else 3
            zone_ids = []
            for z in range(zone_count):
                zone_id = self.next_id("zones")
                province = PROVINCES[(index + z) % len(PROVINCES)]
                postal = f"{(index * 7 + z * 13) % 90 + 10:02d}{z:01d}"  # a prefix of three digits
                zones.append((zone_id, client_id, f"zone-{z}", f"Zona {province} {z}", json([province]),
                              json([postal]), now))
                zone_ids.append((zone_id, postal))
            members = []
            for a in range(agents_per_client[index]):
                agent_id = self.next_id("agents")
                zone_id, _postal = zone_ids[a % zone_count]
                name = f"{rnd.choice(FIRST_NAMES)} {rnd.choice(LAST_NAMES)}"
                agents.append((agent_id, client_id, agent_slug(agent_index), name,
                               f"{agent_slug(agent_index)}@bench.example", "", True, now))
                agent_index += 1
                agent_zones.append((agent_id, zone_id))
                for weekday, start, end in SCHEDULE:
                    schedule.append((self.next_id("schedule_intervals"), agent_id, weekday, start, end))
                members.append(agent_id)
                self.zone_of_agent[agent_id] = (zone_id, _postal)
                self.slug_of_agent[agent_id] = agent_slug(agent_index - 1)
            self.agents_of.append(members)
            user_id = self.user(users, f"client{index}@bench.example", "client", password_hash, client_id=client_id)
            if index == 0:
                tokens.append((self.next_id("api_tokens"), user_id, "bench",
                               digest(token_secret(scale.seed, "client")), "qp_bench_c", now))
        self.client_ids = clients
        self.copy("users", ("id", "email", "name", "password_hash", "role", "client_id", "agent_id", "active",
                            "created_at", "may_book_out_of_schedule"), users)
        self.copy("api_tokens", ("id", "user_id", "label", "digest", "prefix", "created_at"), tokens)
        self.copy("clients", ("id", "slug", "name", "timezone", "country", "account_manager_id",
                              "last_appointment_number", "created_at"),
                  [(cid, client_slug(i), f"Cliente {i:04d}", TZ, "IT", self.manager_ids[i % 10], 0, now)
                   for i, cid in enumerate(clients)])
        self.copy("zones", ("id", "client_id", "slug", "name", "provinces", "postal_codes", "created_at"), zones)
        self.copy("agents", ("id", "client_id", "slug", "name", "email", "phone", "active", "created_at"), agents)
        self.copy("agent_zones", ("agent_id", "zone_id"), agent_zones)
        self.copy("schedule_intervals", ("id", "agent_id", "weekday", "start_time", "end_time"), schedule)
        # Campaigns: a past one and a current one per client, and on the big client the hot one.
        self.campaigns_of = []
        for index, client_id in enumerate(clients):
            names = ["past", "current"] + (["hot"] if index == 0 else [])
            self.campaigns_of.append({name: self.next_id("campaigns") for name in names})

    def user(self, users, email, role, password_hash, client_id=None):
        user_id = self.next_id("users")
        users.append((user_id, email, email.split("@")[0], password_hash, role, client_id, None, True, self.now, False))
        return user_id

    # --- appointments and their life -------------------------------------------------------------------

    def appointments(self):
        scale, rnd, now = self.scale, self.random, self.now
        days = working_days(scale.today - timedelta(days=PAST_DAYS), scale.today + timedelta(days=FUTURE_DAYS))
        slots_per_agent = len(days) * len(SLOT_STARTS)
        split = scale.today - timedelta(days=PAST_DAYS // 2)  # the past campaign ended here
        per_client = share(scale.appointments, scale.clients, 0.10)
        appointment_rows, change_rows, request_rows, recovery_rows = [], [], [], []
        counters = defaultdict(lambda: defaultdict(int))  # campaign id -> counter -> value
        folders = defaultdict(lambda: [0, 0, 0])  # (agent id, zone id) -> [taken, to_confirm, cancelled]
        for index, client_id in enumerate(self.client_ids):
            agents, campaigns = self.agents_of[index], self.campaigns_of[index]
            per_agent = defaultdict(int)
            for _ in range(per_client[index]):
                per_agent[rnd.choice(agents)] += 1
            drafts = []
            for agent_id, count in per_agent.items():
                for slot in rnd.sample(range(slots_per_agent), min(count, slots_per_agent)):
                    day, start_time = days[slot // len(SLOT_STARTS)], SLOT_STARTS[slot % len(SLOT_STARTS)]
                    start = utc(day, start_time)
                    created = start - timedelta(days=rnd.randint(2, 30), minutes=rnd.randint(0, 600))
                    drafts.append((min(created, now - timedelta(minutes=rnd.randint(1, 600))), start, agent_id))
            drafts.sort()
            active_by_campaign = defaultdict(list)  # campaign -> [(created, appointment id)] for recoveries
            cancelled = []
            for number, (created, start, agent_id) in enumerate(drafts, start=1):
                appointment_id = self.next_id("appointments")
                if start.date() < split:
                    campaign_id = campaigns["past"]
                elif index == 0 and rnd.random() < 0.05:
                    campaign_id = campaigns["hot"]
                else:
                    campaign_id = campaigns["current"]
                state, confirmed_at, contacted_at, cancelled_at, reason, outcome = self.life(start, created)
                zone_id, postal = self.zone_of_agent[agent_id]
                end, busy_until = start + timedelta(minutes=APPOINTMENT_MINUTES), \
                    start + timedelta(minutes=APPOINTMENT_MINUTES + BUFFER_MINUTES)
                appointment_rows.append((
                    appointment_id, client_id, number, campaign_id, agent_id, zone_id, start, end, busy_until, state,
                    f"{rnd.choice(BUSINESSES)} {rnd.choice(LAST_NAMES)}", f"+39 0{rnd.randint(10, 99)} "
                    f"{rnd.randint(100000, 9999999)}", f"{postal}{rnd.randint(0, 99):02d}", "", "{}",
                    self.operator_id, created, confirmed_at, contacted_at, None, cancelled_at, reason, outcome,
                ))
                count = counters[campaign_id]
                count["number_of_" + state] += 1
                folder = folders[agent_id, zone_id or 0]
                folder[0] += state != "cancelled"
                folder[1] += state == "to_confirm"
                folder[2] += state == "cancelled"
                after = {"state": "to_confirm", "start": start.isoformat(), "agent": self.slug_of_agent[agent_id]}
                change_rows.append(self.change(client_id, campaign_id, zone_id, agent_id, appointment_id, number,
                                               "appointment", "booked", {}, after, created))
                if confirmed_at is not None:
                    change_rows.append(self.change(client_id, campaign_id, zone_id, agent_id, appointment_id, number,
                                                   "appointment", "confirmed", {"state": "to_confirm"},
                                                   {"state": "confirmed"}, confirmed_at))
                if state == "cancelled":
                    request_rows.append((self.next_id("cancellation_requests"), appointment_id, reason, "",
                                         "approved", self.operator_id, cancelled_at - timedelta(hours=2),
                                         self.manager_ids[index % 10], cancelled_at, ""))
                    change_rows.append(self.change(client_id, campaign_id, zone_id, agent_id, appointment_id, number,
                                                   "appointment", "cancelled", {"state": "to_confirm"},
                                                   {"state": "cancelled"}, cancelled_at))
                    cancelled.append((cancelled_at, appointment_id, campaign_id))
                else:
                    active_by_campaign[campaign_id].append((created, appointment_id))
            # Rule 11: a cancellation owes a recovery; an older one has been booked by a later appointment.
            used = set()
            for cancelled_at, appointment_id, campaign_id in sorted(cancelled):
                later = active_by_campaign[campaign_id]
                position = bisect_right(later, (cancelled_at, 0))
                replacement = next((a for _c, a in later[position:position + 50] if a not in used), None)
                if replacement is not None and cancelled_at < now - timedelta(days=30):
                    used.add(replacement)
                    recovery_rows.append((self.next_id("recoveries"), campaign_id, appointment_id, "booked",
                                          replacement, cancelled_at, cancelled_at + timedelta(days=7)))
                    counters[campaign_id]["recovered"] += 1
                else:
                    recovery_rows.append((self.next_id("recoveries"), campaign_id, appointment_id, "owed", None,
                                          cancelled_at, None))
                    counters[campaign_id]["recoveries_pending"] += 1
            self.last_number = getattr(self, "last_number", {})
            self.last_number[client_id] = len(drafts)
        self.copy("appointments", ("id", "client_id", "number", "campaign_id", "agent_id", "zone_id", "start_at",
                                   "end_at", "busy_until", "state", "prospect_name", "prospect_phone",
                                   "prospect_postal_code", "notes", "fields", "booked_by_id", "created_at",
                                   "confirmed_at", "contacted_at", "disowned_at", "cancelled_at", "cancel_reason",
                                   "outcome"), appointment_rows)
        self.copy("changes", ("id", "client_id", "campaign_id", "zone_id", "agent_id", "appointment_id",
                              "appointment_number", "subject", "action", "before", "after", "actor_id", "at"),
                  change_rows)
        self.copy("cancellation_requests", ("id", "appointment_id", "reason", "notes", "state", "requested_by_id",
                                            "requested_at", "decided_by_id", "decided_at", "decision_notes"),
                  request_rows)
        self.copy("recoveries", ("id", "campaign_id", "cancelled_appointment_id", "state",
                                 "replacement_appointment_id", "created_at", "released_at"), recovery_rows)
        self.copy("folder_counters", ("agent_id", "zone_id", "taken", "to_confirm", "cancelled"),
                  (key + tuple(values) for key, values in sorted(folders.items())))
        self.campaigns_and_steps(counters)
        self.conn.cursor().executemany("UPDATE clients SET last_appointment_number = %s WHERE id = %s",
                              [(number, client_id) for client_id, number in self.last_number.items()])

    def life(self, start, created):
        """(state, confirmed_at, contacted_at, cancelled_at, cancel_reason, outcome) of one appointment."""
        rnd, now = self.random, self.now
        draw = rnd.random()
        confirmed_at = contacted_at = cancelled_at = outcome = None
        reason = ""
        if draw < 0.12:
            state = "cancelled"
            cancelled_at = min(start + timedelta(hours=rnd.randint(-48, 30)), now - timedelta(minutes=5))
            cancelled_at = max(cancelled_at, created + timedelta(minutes=10))
            reason = rnd.choice(CANCEL_REASONS)
        elif start < now or draw < 0.55:
            state = "confirmed"
            confirmed_at = min(created + timedelta(hours=rnd.randint(1, 40)), now - timedelta(minutes=1))
            if start < now:
                outcome = rnd.choices(("held", "no_show", "excused", None), (70, 10, 5, 15))[0]
                if rnd.random() < 0.3:
                    contacted_at = start - timedelta(hours=rnd.randint(2, 24))
        else:
            state = "to_confirm"
        if start < now and state != "cancelled" and rnd.random() < 0.03:
            state, confirmed_at = "to_confirm", None  # never confirmed, kept valid
        return state, confirmed_at, contacted_at, cancelled_at, reason, outcome

    def change(self, client_id, campaign_id, zone_id, agent_id, appointment_id, number, subject, action, before,
               after, at):
        return (self.next_id("changes"), client_id, campaign_id, zone_id, agent_id, appointment_id, number, subject,
                action, json(before), json(after), self.operator_id, at)

    def campaigns_and_steps(self, counters):
        """Counters from the rows, steps whose confirmed quantities cover them (what the services keep)."""
        now = self.now
        campaign_rows, step_rows = [], []
        for index, client_id in enumerate(self.client_ids):
            for name, campaign_id in self.campaigns_of[index].items():
                count = counters[campaign_id]
                to_confirm, confirmed = count["number_of_to_confirm"], count["number_of_confirmed"]
                taken, pending = to_confirm + confirmed, count["recoveries_pending"]
                if name == "hot":
                    headroom = HOT_PLACES_LEFT
                elif name == "current" and index < OPEN_CLIENTS:
                    headroom = OPEN_HEADROOM
                elif name == "current":
                    headroom = max(5, (taken + pending) // 10)
                else:
                    headroom = 0  # the past campaign was delivered in full
                needed = taken + pending + headroom
                first = needed // 2
                quantities = [first, needed - first]
                for number, quantity in enumerate(quantities, start=1):
                    step_rows.append((self.next_id("steps"), campaign_id, number, "", quantity,
                                      self.scale.today - timedelta(days=PAST_DAYS), None, "confirmed",
                                      self.manager_ids[index % 10], now, now))
                step_rows.append((self.next_id("steps"), campaign_id, len(quantities) + 1, "renewal", 100, None, None,
                                  "draft", self.manager_ids[index % 10], now, None))
                campaign_rows.append((campaign_id, client_id, name, f"Campagna {name} {index:04d}",
                                      APPOINTMENT_MINUTES, BUFFER_MINUTES, 36, 5, json([80, 90, 100]), needed, taken,
                                      to_confirm, count["number_of_cancelled"], count["recovered"], pending, 2, now,
                                      len(quantities) + 1))
        self.copy("campaigns", ("id", "client_id", "slug", "name", "appointment_minutes", "buffer_minutes",
                                "cutoff_hours", "hold_minutes", "alert_thresholds", "purchased", "taken",
                                "to_confirm", "cancelled", "recovered", "recoveries_pending", "recoveries_per_day",
                                "created_at", "last_step_number"), campaign_rows)
        self.copy("steps", ("id", "campaign_id", "number", "description", "quantity", "valid_from", "valid_to",
                            "state", "created_by_id", "created_at", "confirmed_at"), step_rows)

    def unavailabilities(self):
        """Two past unavailabilities per client (an agent's and a zone's): the folder panel shows them."""
        rows = []
        for index, client_id in enumerate(self.client_ids):
            agent_id = self.agents_of[index][0]
            zone_id, _postal = self.zone_of_agent[agent_id]
            for offset, who in ((40, (None, agent_id)), (90, (zone_id, None))):
                start = utc(self.scale.today - timedelta(days=offset), time(0))
                rows.append((self.next_id("unavailabilities"), client_id, who[0], who[1], start,
                             start + timedelta(days=2), "ferie", self.manager_ids[index % 10], start - timedelta(days=9)))
        self.copy("unavailabilities", ("id", "client_id", "zone_id", "agent_id", "start_at", "end_at", "reason",
                                       "declared_by_id", "created_at"), rows)


def digest(secret):
    import hashlib

    return hashlib.sha256(secret.encode()).hexdigest()


def json(value):
    import json as _json

    return _json.dumps(value)


def drop_indexes(conn, tables):
    """Drop the tables' constraints (but primary keys) and indexes; return what builds them again."""
    saved = []
    for table in tables:
        for name, definition in conn.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
            "AND contype <> 'p' ORDER BY contype = 'f'", (table,)
        ).fetchall():
            saved.append((2 if definition.startswith("FOREIGN") else 1,
                          f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"))
            conn.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        for name, definition in conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)", (table, table)
        ).fetchall():
            saved.append((0, definition))
            conn.execute(f"DROP INDEX {name}")
    # Foreign keys of other tables pointing at these go too (they would block the drop of nothing,
    # but they check every row): none are on the big tables' targets here, so nothing more to do.
    return saved


def restore_indexes(conn, saved):
    conn.execute("SET maintenance_work_mem = '256MB'")
    for _order, statement in sorted(saved, key=lambda item: item[0]):
        conn.execute(statement)


def generate(url, scale):
    with psycopg.connect(url) as conn:
        if conn.execute("SELECT count(*) FROM clients").fetchone()[0]:
            raise SystemExit(f"{url} already holds data: give an empty, migrated database")
        return Generator(conn, scale).run()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="a migrated, empty PostgreSQL database (postgresql://...)")
    parser.add_argument("--appointments", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--agents", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--today", type=date.fromisoformat, help="the day the data is generated around (UTC)")
    args = parser.parse_args(argv)
    scale = Scale(clients=args.clients, agents=args.agents, appointments=args.appointments, seed=args.seed)
    if args.today:
        scale.today = args.today
    seconds = generate(args.url, scale)
    print(f"generated {scale.appointments} appointments for {scale.clients} clients in {seconds:.1f} s")


if __name__ == "__main__":
    main()
