"""The "Totale Appuntamenti" report and the statistics of a folder (spec §4 and §6).

Every number is one grouped SQL count over the folder's appointments, narrowed by the
filters of "Tutti gli appuntamenti": no appointment is loaded into Python, so the cost is
that of the indexed aggregate whatever the number of rows.
"""
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select

from agents.models import Agent, Zone
from callcenter.reports.schemas import check_range
from callcenter.appointments.models import ACTIVE_STATES, APPOINTMENT_STATES, Appointment, Recovery
from callcenter.appointments.services import AppointmentFilters, _apply_filters, in_scope
from campaigns.models import Campaign
from portal.errors import RuleViolation
from portal.i18n import _
from portal.accounts.models import User

FILTER_NAMES = ("state", "from", "to", "agent", "zone", "campaign", "q")


def report_filters(dbsession, client, params):
    """AppointmentFilters from a validated ReportQuery; an agent, zone or campaign the client does
    not have is refused (``validation_error`` naming the filter) rather than giving empty tables."""
    check_range(params.get("from"), params.get("to"))
    for name, model in (("agent", Agent), ("zone", Zone), ("campaign", Campaign)):
        slug = params.get(name)
        if slug and dbsession.execute(
            select(model.id).where(model.client_id == client.id, model.slug == slug)
        ).first() is None:
            raise RuleViolation("validation_error", _("unknown_filter_value", default="No such choice."), name)
    return AppointmentFilters(state=params.get("state"), date_from=params.get("from"), date_to=params.get("to"),
                              agent=params.get("agent"), zone=params.get("zone"), campaign=params.get("campaign"),
                              text=params.get("q"))


def filters_as_json(filters):
    """What an export keeps of its filters, to run them again in the job."""
    values = {"state": filters.state, "from": filters.date_from, "to": filters.date_to, "agent": filters.agent,
              "zone": filters.zone, "campaign": filters.campaign, "q": filters.text}
    return {name: value.isoformat() if isinstance(value, date) else value
            for name, value in values.items() if value not in (None, "")}


def filters_from_json(data):
    return AppointmentFilters(
        state=data.get("state"),
        date_from=date.fromisoformat(data["from"]) if data.get("from") else None,
        date_to=date.fromisoformat(data["to"]) if data.get("to") else None,
        agent=data.get("agent"), zone=data.get("zone"), campaign=data.get("campaign"), text=data.get("q"),
    )


def scoped(query, scope, filters, *, tz):
    """``query`` narrowed to the folder (``scope``) and the filters, as the list narrows it."""
    return _apply_filters(query.where(*in_scope(scope)), filters, now=None, tz=ZoneInfo(tz))


def state_counts(pairs):
    """{to_confirm, confirmed, cancelled, taken, total} from (state, count) pairs."""
    counts = dict.fromkeys(APPOINTMENT_STATES, 0)
    for state, number in pairs:
        counts[state] = counts.get(state, 0) + number
    counts["taken"] = sum(counts[state] for state in ACTIVE_STATES)
    counts["total"] = sum(counts[state] for state in APPOINTMENT_STATES)
    return counts


def totals(dbsession, scope, filters, *, tz="Europe/Rome"):
    """"Totale Appuntamenti": counts by state, by month (in the client's time zone), by agent and by
    zone, the recoveries booked and those still owed, of the appointments of ``scope`` (spec §4)."""
    by_state = state_counts(dbsession.execute(
        scoped(select(Appointment.state, func.count()), scope, filters, tz=tz).group_by(Appointment.state)
    ).all())
    report = dict(by_state)
    report["recovered"] = dbsession.execute(scoped(
        select(func.count()).select_from(Appointment).join(Recovery, Recovery.replacement_appointment_id
                                                           == Appointment.id), scope, filters, tz=tz)
    ).scalar_one()
    report["recoveries_owed"] = dbsession.execute(scoped(
        select(func.count()).select_from(Appointment).join(Recovery, Recovery.cancelled_appointment_id
                                                           == Appointment.id).where(Recovery.state != "booked"),
        scope, filters, tz=tz)
    ).scalar_one()
    report["by_month"] = by_month(dbsession, scope, filters, tz=tz) if by_state["total"] else []
    report["by_agent"] = by_group(dbsession, scope, filters, tz, Agent, Appointment.agent_id, "agent") \
        if "agent_id" not in scope else []
    report["by_zone"] = by_group(dbsession, scope, filters, tz, Zone, Appointment.zone_id, "zone") \
        if "zone_id" not in scope else []
    return report


def by_month(dbsession, scope, filters, *, tz):
    month = month_of_start(dbsession, scope, filters, tz)
    rows = dbsession.execute(
        scoped(select(month.label("month"), Appointment.state, func.count()), scope, filters, tz=tz)
        .group_by(month, Appointment.state)
    ).all()
    months = {}
    for label, state, number in rows:
        months.setdefault(label, []).append((state, number))
    return [{"month": label, **state_counts(pairs)} for label, pairs in sorted(months.items())]


def month_of_start(dbsession, scope, filters, tz):
    """The "YYYY-MM" of an appointment's start in the client's time zone, as SQL.

    PostgreSQL converts the time itself. SQLite knows no time zones: the months of the data's
    span start at UTC instants computed here (DST included), and a CASE picks the month."""
    if dbsession.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(tz, Appointment.start_at), "YYYY-MM")
    first, last = dbsession.execute(
        scoped(select(func.min(Appointment.start_at), func.max(Appointment.start_at)), scope, filters, tz=tz)
    ).one()
    zone = ZoneInfo(tz)
    year, month = first.astimezone(zone).year, first.astimezone(zone).month
    end = last.astimezone(zone)
    whens = []
    while (year, month) <= (end.year, end.month):
        next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
        month_end = datetime.combine(date(next_year, next_month, 1), time(), zone)
        whens.append((Appointment.start_at < month_end, f"{year:04d}-{month:02d}"))
        year, month = next_year, next_month
    return case(*whens, else_=None)


def by_group(dbsession, scope, filters, tz, model, column, key):
    """Counts by state per agent or per zone (appointments without a zone under ``None``)."""
    rows = dbsession.execute(
        scoped(select(model.slug, model.name, Appointment.state, func.count())
               .select_from(Appointment).outerjoin(model, model.id == column), scope, filters, tz=tz)
        .group_by(model.slug, model.name, Appointment.state)
    ).all()
    groups = {}
    for slug, name, state, number in rows:
        groups.setdefault((slug, name), []).append((state, number))
    return sorted(({key: slug, "name": name, **state_counts(pairs)} for (slug, name), pairs in groups.items()),
                  key=lambda row: (row["name"] is None, (row["name"] or "").lower()))


# --- Statistics (spec §4) ---------------------------------------------------------------------


def _measures():
    def number_of(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    return [
        func.count().label("booked"),
        number_of(Appointment.state == "confirmed").label("confirmed"),
        number_of(Appointment.state == "cancelled").label("cancelled"),
        number_of(Appointment.outcome == "held").label("held"),
        number_of(Appointment.outcome == "no_show").label("no_show"),
        number_of(Appointment.outcome == "excused").label("excused"),
    ]


def rate(part, whole):
    return round(part / whole, 4) if whole else None


def with_rates(row):
    """The rates, defined once:
    confirmation = confirmed / appointments not cancelled;
    cancellation = cancelled / booked;
    no-show = prospect absent / meetings with an outcome recorded."""
    numbers = {name: int(row[name]) for name in ("booked", "confirmed", "cancelled", "held", "no_show", "excused")}
    with_outcome = numbers["held"] + numbers["no_show"] + numbers["excused"]
    numbers["confirmation_rate"] = rate(numbers["confirmed"], numbers["booked"] - numbers["cancelled"])
    numbers["cancellation_rate"] = rate(numbers["cancelled"], numbers["booked"])
    numbers["no_show_rate"] = rate(numbers["no_show"], with_outcome)
    return numbers


def statistics(dbsession, scope, filters, *, tz="Europe/Rome", per_operator=False):
    """Confirmation, cancellation and no-show rates of the folder, per agent, per zone and (for the
    call-center's own staff) per operator who booked: bookings and cancellations of those bookings."""
    overall = dbsession.execute(scoped(select(*_measures()), scope, filters, tz=tz)).mappings().one()
    result = {"overall": with_rates(overall)}
    for key, model, column in (("by_agent", Agent, Appointment.agent_id), ("by_zone", Zone, Appointment.zone_id)):
        rows = dbsession.execute(
            scoped(select(model.slug.label("slug"), model.name.label("name"), *_measures())
                   .select_from(Appointment).outerjoin(model, model.id == column), scope, filters, tz=tz)
            .group_by(model.slug, model.name)
        ).mappings().all()
        result[key] = sorted(({key[3:]: row["slug"], "name": row["name"], **with_rates(row)} for row in rows),
                             key=lambda item: (item["name"] is None, (item["name"] or "").lower()))
    if per_operator:
        rows = dbsession.execute(
            scoped(select(User.email.label("email"), User.name.label("name"), *_measures())
                   .select_from(Appointment).outerjoin(User, User.id == Appointment.booked_by_id), scope, filters,
                   tz=tz)
            .group_by(User.email, User.name)
        ).mappings().all()
        result["by_operator"] = sorted(
            ({"operator": row["email"], "name": row["name"] or row["email"], "bookings": int(row["booked"]),
              "cancellations": int(row["cancelled"]), "cancellation_rate": rate(int(row["cancelled"]),
                                                                                 int(row["booked"]))}
             for row in rows),
            key=lambda item: (item["operator"] is None, item["operator"] or ""))
    return result
