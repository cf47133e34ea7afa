"""A lived-in demo client with the source's own figures: 200 purchased, 189 taken, 21 to confirm."""
import random
from datetime import time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from agents.availability import aligned_starts, opening_windows
from agents.models import ClosedDay
from agents.services import add_closed_day, create_agent, create_user, create_zone
from callcenter.appointments.counters import recount
from callcenter.appointments.models import Appointment
from callcenter.appointments.rules import appointment_span
from campaigns.models import Client
from campaigns.services import (add_campaign_field, add_step, change_counters, confirm_step, create_campaign,
                                create_client)

DEMO_PASSWORD = "demo-password"
DEMO_LOGINS = (
    ("admin@demo.example", "admin"),
    ("manager@demo.example", "account_manager"),
    ("operatore@demo.example", "operator"),
    ("cliente@demo.example", "client"),
    ("zona.milano@demo.example", "zone_manager"),
    ("agente.rossi@demo.example", "agent"),
)
ZONES = (
    ("milano", "Milano", ["MI", "MB"], ["20121", "20122", "20900"]),
    ("torino", "Torino", ["TO"], ["10121", "10122"]),
    ("bologna", "Bologna", ["BO"], ["40121", "40122"]),
)
AGENTS = (
    ("rossi", "Mario Rossi", "milano"),
    ("bianchi", "Laura Bianchi", "milano"),
    ("verdi", "Paolo Verdi", "torino"),
    ("russo", "Giulia Russo", "torino"),
    ("ferrari", "Luca Ferrari", "bologna"),
    ("esposito", "Anna Esposito", "bologna"),
)
PROSPECTS = ("Bar Centrale", "Ferramenta Galli", "Studio Conti", "Panificio Moretti", "Hotel Lago",
             "Ottica Marino", "Farmacia Greco", "Autofficina Bruno", "Pizzeria Napoli", "Fioreria Costa")
PEOPLE = ("Giovanni Galli", "Sara Conti", "Andrea Moretti", "Elena Marino", "Davide Greco", "Marta Bruno",
          "Stefano Costa", "Francesca Rizzo", "Roberto Lombardi", "Silvia Colombo")
STREETS = ("Via Roma", "Corso Italia", "Via Garibaldi", "Via Mazzini", "Viale Europa", "Via Dante")
# Postal code prefix -> (town, province) of the demo zones.
TOWNS = {"20": ("Milano", "MI"), "209": ("Monza", "MB"), "10": ("Torino", "TO"), "40": ("Bologna", "BO")}
START_HOURS = (9, 11, 14, 16)


def load_demo_data(dbsession, *, now):
    """Create the demo client once; returns False when it is already there."""
    if dbsession.execute(select(Client.id).where(Client.slug == "demo")).first():
        return False
    users = {}
    users["admin"] = create_user(dbsession, email="admin@demo.example", password=DEMO_PASSWORD, role="admin",
                                 name="Amministratore")
    users["account_manager"] = create_user(dbsession, email="manager@demo.example", password=DEMO_PASSWORD,
                                           role="account_manager", name="Chiara Account")
    users["operator"] = create_user(dbsession, email="operatore@demo.example", password=DEMO_PASSWORD,
                                    role="operator", name="Marco Operatore")
    client = create_client(dbsession, slug="demo", name="Demo Serramenti S.p.A.",
                           account_manager=users["account_manager"])
    zones = {slug: create_zone(dbsession, client, slug=slug, name=name, provinces=provinces, postal_codes=codes)
             for slug, name, provinces, codes in ZONES}
    week = [{"weekday": day, "start": time(9), "end": time(13)} for day in range(5)]
    week += [{"weekday": day, "start": time(14), "end": time(18)} for day in range(5)]
    agents = [create_agent(dbsession, client, slug=slug, name=name, email=f"{slug}@demo.example",
                           zones=[zone], schedule=week) for slug, name, zone in AGENTS]
    create_user(dbsession, email="cliente@demo.example", password=DEMO_PASSWORD, role="client",
                name="Ufficio commerciale", client=client)
    create_user(dbsession, email="zona.milano@demo.example", password=DEMO_PASSWORD, role="zone_manager",
                name="Responsabile Milano", client=client, zones=[zones["milano"]])
    create_user(dbsession, email="agente.rossi@demo.example", password=DEMO_PASSWORD, role="agent",
                name="Mario Rossi", client=client, agent=agents[0])

    campaign = create_campaign(dbsession, client, slug="serramenti-2026", name="Serramenti 2026")
    today = now.astimezone(ZoneInfo(client.timezone)).date()
    first = add_step(dbsession, campaign, quantity=150, valid_from=today - timedelta(days=180),
                     valid_to=today - timedelta(days=30), description="Contratto iniziale", now=now,
                     created_by=users["account_manager"])
    renewal = add_step(dbsession, campaign, quantity=50, valid_from=today - timedelta(days=30),
                       valid_to=today + timedelta(days=60), description="Rinnovo", now=now,
                       created_by=users["account_manager"])
    add_campaign_field(dbsession, campaign, name="window_type", label="Tipo di serramento", kind="choice",
                       required=True, choices=["PVC", "Legno", "Alluminio"],
                       help_text="Chiedere il materiale degli infissi attuali.")
    add_campaign_field(dbsession, campaign, name="windows", label="Numero di finestre", kind="number",
                       help_text="Una stima va bene.")
    add_campaign_field(dbsession, campaign, name="owner", label="Proprietario dell'immobile", kind="yes_no",
                       help_text="Solo il proprietario può firmare il contratto.")
    confirm_step(dbsession, first, now=now, actor=users["account_manager"])
    confirm_step(dbsession, renewal, now=now, actor=users["account_manager"])
    # A closed day of the client in the coming weeks (the wizard greys it out, the demo books none on it).
    closed = today + timedelta(days=10)
    while closed.weekday() >= 5:
        closed += timedelta(days=1)
    add_closed_day(dbsession, client, day=closed, reason="Inventario di magazzino")
    _book_history(dbsession, client, campaign, agents, users["operator"], today, now)
    return True


def _book_history(dbsession, client, campaign, agents, operator, today, now):
    """168 confirmed (past and next days), 21 to confirm (coming days), 4 cancelled."""
    rng = random.Random(2026)
    people = random.Random(2027)  # a stream of its own: the history above stays the same
    length = timedelta(minutes=campaign.appointment_minutes)
    past = _slots(dbsession, agents, today - timedelta(days=150), today - timedelta(days=1), client, length)
    future = _slots(dbsession, agents, today + timedelta(days=2), today + timedelta(days=30), client, length)
    rng.shuffle(past)
    rng.shuffle(future)
    plan = [("confirmed", slot) for slot in past[:160]]
    plan += [("cancelled", slot) for slot in past[160:164]]
    plan += [("confirmed", slot) for slot in future[:8]]
    plan += [("to_confirm", slot) for slot in future[8:29]]
    plan.sort(key=lambda item: item[1][1])
    for number, (state, (agent, start)) in enumerate(plan, start=1):
        start, end, busy_until = appointment_span(start, campaign.appointment_minutes, campaign.buffer_minutes)
        zone = agent.zones[0]
        company = f"{rng.choice(PROSPECTS)} {number}"
        phone = f"+39 02 {rng.randint(1000000, 9999999)}"
        postal_code = rng.choice(zone.postal_codes)
        town, province = town_of(postal_code)
        dbsession.add(Appointment(
            client_id=client.id, number=number, campaign_id=campaign.id, agent_id=agent.id, zone_id=zone.id,
            start_at=start, end_at=end, busy_until=busy_until, state=state,
            prospect_name=people.choice(PEOPLE), prospect_company=company, prospect_phone=phone,
            prospect_address=f"{people.choice(STREETS)} {people.randint(1, 120)}, {town}",
            prospect_postal_code=postal_code, prospect_province=province,
            notes="", fields={}, booked_by_id=operator.id,
            created_at=min(start - timedelta(days=3), now),
        ))
    client.last_appointment_number = len(plan)
    confirmed = sum(1 for state, _ in plan if state == "confirmed")
    to_confirm = sum(1 for state, _ in plan if state == "to_confirm")
    cancelled = sum(1 for state, _ in plan if state == "cancelled")
    change_counters(dbsession, campaign.id, taken=confirmed + to_confirm, to_confirm=to_confirm, cancelled=cancelled)
    recount(dbsession, client.id)  # the zones' and agents' folders


def town_of(postal_code):
    """The demo town of a postal code: the longest known prefix wins (20900 is Monza, not Milano)."""
    prefix = max((prefix for prefix in TOWNS if postal_code.startswith(prefix)), key=len)
    return TOWNS[prefix]


def _slots(dbsession, agents, first_day, last_day, client, length):
    """Slots (agent, aware start) the booking rules accept (rule 9): inside each agent's weekly
    schedule, never on a public holiday of the client's country (8 December in Italy) nor on a
    closed day, on the grid the wizard offers; START_HOURS are spaced so that one agent's slots
    never overlap, travel buffer included."""
    days = [first_day + timedelta(days=offset) for offset in range((last_day - first_day).days + 1)]
    zone = ZoneInfo(client.timezone)
    closed = {row.day for row in dbsession.execute(select(ClosedDay).where(
        ClosedDay.client_id == client.id, ClosedDay.zone_id.is_(None), ClosedDay.agent_id.is_(None))).scalars()}
    slots = []
    for agent in agents:
        weekly = [(interval.weekday, interval.start_time, interval.end_time) for interval in agent.schedule]
        windows = opening_windows(days, client.timezone, weekly, closed_days=closed, country=client.country)
        for start in aligned_starts(windows, length):
            local = start.astimezone(zone)
            if local.minute == 0 and local.hour in START_HOURS:
                slots.append((agent, local))
    return slots
