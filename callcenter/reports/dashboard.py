"""The account managers' dashboard (spec §6): every campaign of the portfolio, how fast it burns
its quota and when it will run out.

It counts appointments and cancellation requests, so it lives here and not in ``campaigns``
(nothing imports ``callcenter`` from below). Every number comes from a handful of grouped
queries over the whole portfolio, never one per campaign, and no appointment row is loaded:
the counters are the campaign's own columns, the bookings per day one query with a sum per day
over the (campaign_id, created_at) index.
"""
from zoneinfo import ZoneInfo

from babel.dates import format_date

from pyramid.authorization import Allow
from pyramid.view import view_config
from sqlalchemy import case, func, select
from sqlalchemy.orm import contains_eager, joinedload

from callcenter.appointments.labels import REASON_LABELS
from callcenter.lifecycle.forms import PENDING_REQUESTS
from callcenter.appointments.models import Appointment, CancellationRequest
from campaigns import burn
from campaigns.alerts import QuotaAlert
from campaigns.models import Campaign, Client
from campaigns.resources import permitted
from portal import permissions as P
from portal.api.plumbing import api_view
from portal.errors import RuleViolation
from portal.i18n import _
from portal.resources import Resource, Root

COUNTERS = ("purchased", "taken", "to_confirm", "cancelled", "recovered")
SORT_KEYS = ("client", "campaign") + COUNTERS + ("burn_7", "burn_28", "forecast", "alerts", "pending_requests")
DEFAULT_SORT = "forecast"


class Dashboard(Resource):
    """/dashboard: account managers (their portfolio) and admins (every client)."""

    __acl__ = [(Allow, "role:account_manager", P.DASHBOARD)]


class PendingRequests(Resource):
    """/dashboard/cancellation-requests: the requests waiting for a decision (rule 5), from the dashboard's
    counts; the decision is the appointment's own (``.../cancellation-request/decide``)."""


PENDING_LIMIT = 500


def pending_requests(request, client_slug=None, campaign_slug=None):
    """The pending requests of the clients whose requests the user decides, oldest first, in one query."""
    clients = request.dbsession.execute(select(Client).order_by(Client.name)).scalars().all()
    decides = [client.id for client in permitted(request, P.DECIDE_CANCELLATION, clients)
               if client_slug is None or client.slug == client_slug]
    if not decides:
        return []
    query = (
        select(CancellationRequest, Appointment).join(Appointment, Appointment.id == CancellationRequest.appointment_id)
        .options(joinedload(Appointment.client), joinedload(Appointment.campaign), joinedload(Appointment.agent),
                 joinedload(CancellationRequest.requested_by))
        .where(CancellationRequest.state == "pending", Appointment.client_id.in_(decides))
        .order_by(CancellationRequest.requested_at, CancellationRequest.id).limit(PENDING_LIMIT)
    )
    if campaign_slug is not None:
        query = query.where(Appointment.campaign_id.in_(select(Campaign.id).where(Campaign.slug == campaign_slug)))
    return request.dbsession.execute(query).all()


def parse_sort(value):
    """("forecast", False) from "forecast", ("taken", True) from "-taken"; an unknown key is a 400."""
    value = DEFAULT_SORT if value is None else value  # "" or " taken" are no column (the API documents an enum)
    descending = value.startswith("-")
    key = value[1:] if descending else value
    if key not in SORT_KEYS:
        raise RuleViolation("validation_error", _("unknown_sort", default="This column cannot be sorted on."),
                            "sort")
    return key, descending


def portfolio(request):
    """The clients the user manages: the client folders' ACL decides, as for the list of clients."""
    clients = request.dbsession.execute(select(Client).order_by(Client.name)).scalars().all()
    return permitted(request, P.MANAGE, clients)


def dashboard_rows(dbsession, clients, now):
    """One row per campaign of ``clients`` with its counters, burn rates, forecast, alerts and
    pending cancellation requests, and the points of its burn-down chart."""
    if not clients:
        return []
    campaigns = dbsession.execute(
        select(Campaign).join(Client).options(contains_eager(Campaign.client))
        .where(Campaign.client_id.in_([client.id for client in clients]))
    ).scalars().all()
    ids = [campaign.id for campaign in campaigns]
    daily = daily_bookings(dbsession, campaigns, now)
    alerts = grouped_count(dbsession, select(QuotaAlert.campaign_id, func.count())
                           .where(QuotaAlert.campaign_id.in_(ids)).group_by(QuotaAlert.campaign_id))
    pending = grouped_count(dbsession, select(Appointment.campaign_id, func.count())
                            .select_from(CancellationRequest).join(Appointment)
                            .where(CancellationRequest.state == "pending", Appointment.campaign_id.in_(ids))
                            .group_by(Appointment.campaign_id))
    rows = []
    for campaign in campaigns:
        today = now.astimezone(ZoneInfo(campaign.client.timezone)).date()
        days, bookings_today = daily[campaign.id]
        burn_7 = burn.burn_rate(sum(days[-burn.SHORT_WINDOW_DAYS:]), burn.SHORT_WINDOW_DAYS)
        burn_28 = burn.burn_rate(sum(days), burn.WINDOW_DAYS)
        rows.append({
            "client": campaign.client.slug, "client_name": campaign.client.name,
            "campaign": campaign.slug, "campaign_name": campaign.name,
            **{name: getattr(campaign, name) for name in COUNTERS},
            "burn_7": round(burn_7, 2), "burn_28": round(burn_28, 2),
            # The four weeks smooth the weekly rhythm of the call-center (no calls at weekends).
            "forecast": burn.forecast_exhaustion(today, campaign.purchased, campaign.taken, burn_28),
            "alerts": alerts.get(campaign.id, 0),
            "pending_requests": pending.get(campaign.id, 0),
            "daily_bookings": days, "bookings_today": bookings_today,
            "burn_down": burn.burn_down(campaign.purchased - campaign.taken, days, bookings_today),
        })
    return rows


def daily_bookings(dbsession, campaigns, now):
    """{campaign id: ([bookings of each of the 28 complete local days, oldest first], bookings today)}.

    One query per time zone of the portfolio (usually one): a conditional sum per local day.
    """
    result = {campaign.id: ([0] * burn.WINDOW_DAYS, 0) for campaign in campaigns}
    by_zone = {}
    for campaign in campaigns:
        by_zone.setdefault(campaign.client.timezone, []).append(campaign.id)
    for tz, ids in by_zone.items():
        today = now.astimezone(ZoneInfo(tz)).date()
        edges = burn.local_midnights(today, burn.WINDOW_DAYS, tz) + [now]
        sums = [func.sum(case(((Appointment.created_at >= start) & (Appointment.created_at < end), 1), else_=0))
                for start, end in zip(edges, edges[1:])]
        rows = dbsession.execute(
            select(Appointment.campaign_id, *sums)
            .where(Appointment.campaign_id.in_(ids), Appointment.created_at >= edges[0],
                   Appointment.created_at < now)
            .group_by(Appointment.campaign_id)
        ).all()
        for row in rows:
            counts = [int(value or 0) for value in row[1:]]
            result[row[0]] = (counts[:-1], counts[-1])
    return result


def grouped_count(dbsession, query):
    return {key: int(count) for key, count in dbsession.execute(query).all()}


def sort_rows(rows, key, descending):
    """Sorted by one column; campaigns without a forecast (nothing burns) always come last."""
    if key in ("client", "campaign"):
        return sorted(rows, key=lambda row: (row[key + "_name"].lower(), row["campaign_name"].lower()),
                      reverse=descending)
    present = [row for row in rows if row[key] is not None]
    missing = [row for row in rows if row[key] is None]
    present.sort(key=lambda row: (row[key], row["client_name"].lower(), row["campaign_name"].lower()),
                 reverse=descending)
    return present + missing


def dashboard_data(request):
    key, descending = parse_sort(request.GET.get("sort"))
    rows = dashboard_rows(request.dbsession, portfolio(request), request.now)
    return key, descending, sort_rows(rows, key, descending)


def row_json(row):
    data = {name: value for name, value in row.items() if name not in ("burn_down",)}
    data["forecast"] = row["forecast"].isoformat() if row["forecast"] else None
    return data


CHART_WIDTH, CHART_HEIGHT = 160, 40


def chart(row):
    """The burn-down sparkline: places left over the four weeks, the forecast beyond, as SVG points."""
    points = row["burn_down"]
    return {"line": burn.chart_path(points, CHART_WIDTH, CHART_HEIGHT, top=max(points + [row["purchased"]])),
            "first": points[0], "last": points[-1]}


@view_config(context=Dashboard, permission=P.DASHBOARD, renderer="callcenter.reports:templates/dashboard.jinja2")
def dashboard_page(context, request):
    key, descending, rows = dashboard_data(request)
    for row in rows:
        row["chart"] = chart(row)
        row["forecast_text"] = format_date(row["forecast"], "medium", locale=request.locale_name) \
            if row["forecast"] else None
    return {"rows": rows, "sort": key, "descending": descending, "sort_keys": SORT_KEYS,
            "width": CHART_WIDTH, "height": CHART_HEIGHT}


@view_config(context=PendingRequests, permission=P.DASHBOARD,
             renderer="callcenter.reports:templates/cancellation_requests.jinja2")
def pending_requests_page(context, request):
    """The worklist of pending cancellation requests, each with its approve and reject buttons;
    ``?client=&campaign=`` narrow it to the dashboard's row the user came from."""
    client_slug, campaign_slug = request.GET.get("client") or None, request.GET.get("campaign") or None
    translate = request.localizer.translate
    rows = [{"request": cancellation, "appointment": appointment,
             "reason": translate(REASON_LABELS[cancellation.reason])
             if cancellation.reason in REASON_LABELS else cancellation.reason,
             "decide_url": request.resource_url(request.root, "clients", appointment.client.slug, "appointments",
                                                str(appointment.number), "cancellation-request", "decide")}
            for cancellation, appointment in pending_requests(request, client_slug, campaign_slug)]
    return {"rows": rows, "came_from": PENDING_REQUESTS, "narrowed": bool(client_slug or campaign_slug),
            "limit": PENDING_LIMIT}


@api_view(context=Dashboard, request_method="GET", permission=P.DASHBOARD)
def dashboard_api(context, request):
    key, descending, rows = dashboard_data(request)
    return {"sort": ("-" if descending else "") + key, "items": [row_json(row) for row in rows]}


def includeme(config):
    config.add_resource_child(Root, "dashboard", Dashboard)
    config.add_resource_child(Dashboard, "cancellation-requests", PendingRequests)
    config.scan(__name__)
