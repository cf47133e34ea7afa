"""The call-center's daily work, run by RQ's scheduler (spec §5 rule 3, §7, §8): tomorrow's
confirmation worklist built each morning, the agents' agenda mail of the day, and reminders before
a meeting. Each task is idempotent: hourly runs, a second run or two concurrent runs add nothing and
mail nobody twice (the unique keys of ``confirmation_calls`` and ``sent_mails``), and a mail leaves
only if the task's transaction commits (each mail an outbox row of that transaction, sent once the
SMTP server accepts it: ``portal.mail.delivery``).

Times: every client works in its own time zone; "the morning" and "tomorrow" are its wall clock,
and the day's bounds are computed there, so a 23- or 25-hour day across DST is one day.
"""
import logging
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from pyramid.i18n import make_localizer
from pyramid.interfaces import ITranslationDirectories
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from zope.sqlalchemy import mark_changed

from callcenter.appointments.models import ACTIVE_STATES, Appointment
from callcenter.lifecycle.models import ConfirmationCall, SentMail
from campaigns.mail_templates import messages
from campaigns.models import Campaign, Client
from portal.i18n import _
from portal.accounts.models import User
from portal.mail.delivery import send_mail

log = logging.getLogger(__name__)
WORKLIST_TIME = time(6)  # setting portal.worklist_time: the confirmation worklist is built from then on
AGENDA_TIME = time(7)  # setting portal.agenda_time: the agents' agenda mails leave from then on
CALL_STATES = ("open", "not_reached", "done")
CALL_RESULTS = ("confirmed", "postponed", "disowned", "not_reached")
STATE_WORDS = {
    "to_confirm": _("state_to_confirm", default="To confirm"),
    "confirmed": _("state_confirmed", default="Confirmed"),
    "cancelled": _("state_cancelled", default="Cancelled"),
}


# --- Rules: pure functions of plain values ------------------------------------------------------------


def local_day(now, tz):
    """The client's calendar day at ``now``."""
    return now.astimezone(ZoneInfo(tz)).date()


def day_bounds(day, tz):
    """[start, end) of a calendar day of the client, in UTC: 23 or 25 hours long on DST days."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time(), zone).astimezone(timezone.utc)
    end = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(timezone.utc)
    return start, end


def due_day(now, tz, at):
    """The client's day whose morning task is due at ``now`` (its wall clock has reached ``at``), else None.

    07:00 in Rome is 06:00 UTC in winter and 05:00 UTC in summer: 2026-10-25 05:30 UTC is 06:30 CET, not
    yet due; 2027-03-28 05:00 UTC is 07:00 CEST, due.
    """
    local = now.astimezone(ZoneInfo(tz))
    return local.date() if local.time() >= at else None


def clients_due(now, clients, at):
    """[(client, day)] of the clients whose morning task is due now."""
    due = []
    for client in clients:
        day = due_day(now, client.timezone, at)
        if day is not None:
            due.append((client, day))
    return due


def reminder_moment(start, hours):
    """When the reminder of a meeting leaves: ``hours`` real hours before it (like rule 1's cutoff,
    elapsed time, so across a DST change the wall-clock distance is one hour more or less)."""
    return start.astimezone(timezone.utc) - timedelta(hours=hours)


def reminder_due(start, now, hours):
    """A meeting needs its reminder from ``hours`` before it until it starts; ``hours`` empty: never."""
    if not hours:
        return False
    now = now.astimezone(timezone.utc)
    return reminder_moment(start, hours) <= now < start.astimezone(timezone.utc)


def setting_time(settings, name, default):
    """"HH:MM" from the ini, else ``default``."""
    text = (settings.get(name) or "").strip()
    if not text:
        return default
    hours, _sep, minutes = text.partition(":")
    return time(int(hours), int(minutes or 0))


# --- The confirmation worklist (rule 3) ----------------------------------------------------------------


def insert_missing_calls(dbsession, rows):
    """Add the worklist rows not there yet; a concurrent run adding the same ones is no error."""
    if not rows:
        return 0
    dialect = dbsession.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    added = 0
    for start in range(0, len(rows), 500):  # one multi-row INSERT per 500 rows; RETURNING names what was added
        statement = insert(ConfirmationCall).values(rows[start:start + 500]).on_conflict_do_nothing(
            index_elements=["appointment_id", "work_date"]).returning(ConfirmationCall.id)
        added += len(dbsession.connection().execute(statement).all())
    if added:
        mark_changed(dbsession)  # written below the ORM: the transaction must commit it
    return added


def add_to_worklist(dbsession, client, day, now):
    """The appointments of the day after ``day`` still to confirm, on the worklist of ``day``."""
    start, end = day_bounds(day + timedelta(days=1), client.timezone)
    listed = select(ConfirmationCall.appointment_id).where(ConfirmationCall.client_id == client.id,
                                                          ConfirmationCall.work_date == day)
    ids = dbsession.execute(
        select(Appointment.id).where(Appointment.client_id == client.id, Appointment.state == "to_confirm",
                                     Appointment.start_at >= start, Appointment.start_at < end,
                                     Appointment.id.not_in(listed))
    ).scalars().all()
    return insert_missing_calls(dbsession, [
        {"appointment_id": appointment_id, "client_id": client.id, "work_date": day, "state": "open",
         "attempts": 0, "notes": "", "created_at": now} for appointment_id in ids])


def build_confirmation_worklists(dbsession, context):
    """The periodic task: from the morning on (client time), tomorrow's appointments still to confirm
    join today's worklist; hourly runs add those booked or moved to tomorrow later in the day."""
    now = context.clock()
    at = setting_time(context.settings, "portal.worklist_time", WORKLIST_TIME)
    clients = dbsession.execute(select(Client).order_by(Client.id)).scalars().all()
    return sum(add_to_worklist(dbsession, client, day, now) for client, day in clients_due(now, clients, at))


def top_up_worklist(dbsession, appointments, now):
    """The page adds what the last run has not seen yet (moved to tomorrow an hour ago)."""
    return insert_missing_calls(dbsession, [
        {"appointment_id": appointment.id, "client_id": appointment.client_id,
         "work_date": local_day(now, appointment.client.timezone), "state": "open", "attempts": 0, "notes": "",
         "created_at": now} for appointment in appointments])


def record_call(dbsession, appointment, *, result, notes, actor, now):
    """Rule 3: how the call went, on today's worklist row (added if the appointment was not on it):
    one attempt more; done with the prospect's answer, or not reached (to call again)."""
    day = local_day(now, appointment.client.timezone)
    call = dbsession.execute(
        select(ConfirmationCall).where(ConfirmationCall.appointment_id == appointment.id,
                                       ConfirmationCall.work_date == day)
    ).scalar_one_or_none()
    if call is None:
        call = ConfirmationCall(appointment_id=appointment.id, client_id=appointment.client_id, work_date=day,
                                state="open", attempts=0, notes="", created_at=now)
        dbsession.add(call)
    call.attempts += 1
    if result == "not_reached":
        call.state = "not_reached"
    else:
        call.state, call.outcome = "done", result
    if notes:
        call.notes = notes
    call.by_id, call.at = actor.id, now
    dbsession.flush()
    return call


# --- Mails ----------------------------------------------------------------------------------------------


def claim_mail(dbsession, kind, key, client_id, recipients, now):
    """Record the mail as sent, or False when a run (maybe a concurrent one) already did."""
    try:
        with dbsession.begin_nested():
            dbsession.add(SentMail(kind=kind, key=key, client_id=client_id, recipients=sorted(recipients),
                                   sent_at=now))
    except IntegrityError:
        return False
    return True


def already_sent(dbsession, kind, keys):
    if not keys:
        return set()
    return set(dbsession.execute(select(SentMail.key).where(SentMail.kind == kind, SentMail.key.in_(keys)))
               .scalars().all())


def agent_addresses(dbsession, agents):
    """{agent id: [e-mail]}: the agent's own address, else the logins of the agent."""
    addresses = {agent.id: [agent.email] for agent in agents if agent.email}
    missing = [agent.id for agent in agents if not agent.email]
    if missing:
        for agent_id, email in dbsession.execute(
                select(User.agent_id, User.email).where(User.agent_id.in_(missing), User.active.is_(True))).all():
            addresses.setdefault(agent_id, []).append(email)
    return addresses


class Words:
    """Dates and states in the language of a mail, outside any request."""

    def __init__(self, registry):
        self.registry = registry
        self.localizers = {}

    def translate(self, message, language):
        if language not in self.localizers:
            dirs = self.registry.queryUtility(ITranslationDirectories) or []
            self.localizers[language] = make_localizer(language, dirs)
        return self.localizers[language].translate(message)

    def appointment(self, appointment, tz, language):
        zone = ZoneInfo(tz)
        start, end = appointment.start_at.astimezone(zone), appointment.end_at.astimezone(zone)
        return {
            "number": appointment.number,
            "date": format_date(start.date(), "EEE d MMM y", locale=language),
            "time": format_time(start, "HH:mm", locale=language),
            "end": format_time(end, "HH:mm", locale=language),
            "prospect": appointment.prospect_name,
            "company": appointment.prospect_company or "",
            "phone": appointment.prospect_phone,
            "address": appointment.place,
            "postal_code": appointment.prospect_postal_code,
            "campaign": appointment.campaign.name,
            "state": self.translate(STATE_WORDS.get(appointment.state, appointment.state), language),
            "notes": appointment.notes or "",
        }


def sender(context):
    return context.settings.get("mail.default_sender") or "portale@example.invalid"


def send_agendas(dbsession, context):
    """The periodic task: from the agenda time on (client time), each agent with active appointments
    today gets one mail listing them, once a day whatever the number of runs."""
    now = context.clock()
    at = setting_time(context.settings, "portal.agenda_time", AGENDA_TIME)
    clients = dbsession.execute(select(Client).order_by(Client.id)).scalars().all()
    words, sent = Words(context.registry), 0
    for client, day in clients_due(now, clients, at):
        start, end = day_bounds(day, client.timezone)
        appointments = dbsession.execute(
            select(Appointment).options(joinedload(Appointment.agent), joinedload(Appointment.campaign))
            .where(Appointment.client_id == client.id, Appointment.state.in_(ACTIVE_STATES),
                   Appointment.start_at >= start, Appointment.start_at < end)
            .order_by(Appointment.agent_id, Appointment.start_at)
        ).scalars().all()
        by_agent = {}
        for appointment in appointments:
            by_agent.setdefault(appointment.agent_id, []).append(appointment)
        keys = {agent_id: f"{agent_id}:{day.isoformat()}" for agent_id in by_agent}
        done = already_sent(dbsession, "agenda", list(keys.values()))
        agents = {agent_id: rows[0].agent for agent_id, rows in by_agent.items() if keys[agent_id] not in done}
        addresses = agent_addresses(dbsession, list(agents.values()))
        for agent_id, agent in agents.items():
            recipients = addresses.get(agent_id)
            if not recipients or not claim_mail(dbsession, "agenda", keys[agent_id], client.id, recipients, now):
                continue
            rows = by_agent[agent_id]

            def variables(language, agent=agent, rows=rows):
                return {"client": client.name, "agent": agent.name, "count": len(rows),
                        "day": format_date(day, "EEEE d MMMM y", locale=language),
                        "appointments": [words.appointment(row, client.timezone, language) for row in rows]}

            for message in messages(dbsession, "agenda", client.id, recipients, variables, sender(context)):
                send_mail(dbsession, context, message)
            sent += 1
    return sent


def send_reminders(dbsession, context):
    """The periodic task: each active appointment of a campaign with ``reminder_hours`` gets its agent's
    reminder that many hours before it, once per start (a postponed meeting gets a new one)."""
    now = context.clock()
    longest = dbsession.execute(
        select(Campaign.reminder_hours).where(Campaign.reminder_hours.is_not(None))
        .order_by(Campaign.reminder_hours.desc()).limit(1)
    ).scalar_one_or_none()
    if not longest:
        return 0
    candidates = dbsession.execute(
        select(Appointment)
        .options(joinedload(Appointment.agent), joinedload(Appointment.campaign), joinedload(Appointment.client))
        .join(Campaign, Campaign.id == Appointment.campaign_id)
        .where(Campaign.reminder_hours.is_not(None), Appointment.state.in_(ACTIVE_STATES),
               Appointment.start_at > now, Appointment.start_at <= now + timedelta(hours=longest))
        .order_by(Appointment.start_at, Appointment.id)
    ).scalars().all()
    due = [appointment for appointment in candidates
           if reminder_due(appointment.start_at, now, appointment.campaign.reminder_hours)]
    keys = {appointment.id: f"{appointment.id}:{appointment.start_at.astimezone(timezone.utc).isoformat()}"
            for appointment in due}
    done = already_sent(dbsession, "reminder", list(keys.values()))
    due = [appointment for appointment in due if keys[appointment.id] not in done]
    addresses = agent_addresses(dbsession, list({appointment.agent_id: appointment.agent for appointment in due}
                                                .values()))
    words, sent = Words(context.registry), 0
    for appointment in due:
        recipients = addresses.get(appointment.agent_id)
        client = appointment.client
        if not recipients or not claim_mail(dbsession, "reminder", keys[appointment.id], client.id, recipients,
                                            now):
            continue

        def variables(language, appointment=appointment):
            return {"client": appointment.client.name, "agent": appointment.agent.name,
                    "hours": appointment.campaign.reminder_hours,
                    "appointment": words.appointment(appointment, appointment.client.timezone, language)}

        for message in messages(dbsession, "reminder", client.id, recipients, variables, sender(context),
                                campaign_id=appointment.campaign_id):
            send_mail(dbsession, context, message)
        sent += 1
    return sent
