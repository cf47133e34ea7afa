"""The portal as production serves it, plus two floors: a trivial JSON view (the framework's) and
a booking in one SQL statement behind the portal's authentication and transaction (the stack's).

gunicorn loads ``benchmarks.app:application``; the settings are production.ini's
(PORTAL_DATABASE_URL, PORTAL_REDIS_URL, PORTAL_SECRET from the environment), and
the queue is the benchmark's own so that its jobs never mix with a real portal's.
"""
import json
import os
from datetime import datetime, timedelta, timezone

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPForbidden
from pyramid.paster import get_appsettings
from pyramid.security import NO_PERMISSION_REQUIRED
from sqlalchemy.orm import configure_mappers
from zope.sqlalchemy import mark_changed

from portal import DOMAIN_PACKAGES
from portal.request import make_wsgi_app
from portal.settings import apply_environment

FLOOR_PATH = "/_bench/floor"
STACK_FLOOR_PATH = "/_bench/book/{client}/{campaign}"

# The booking's writes in one statement: quota, agent lock, number, appointment, folder counters, history. No rule
# is checked but the quota (the exclusion constraint still refuses an overlap): a lower bound.
ONE_STATEMENT_BOOKING = """
WITH quota AS (UPDATE campaigns SET taken = taken + 1, to_confirm = to_confirm + 1
               WHERE id = %(campaign)s AND taken + recoveries_pending < purchased RETURNING id),
     agent AS (SELECT id FROM agents WHERE id = %(agent)s AND EXISTS (SELECT 1 FROM quota) FOR UPDATE),
     number AS (UPDATE clients SET last_appointment_number = last_appointment_number + 1
                WHERE id = %(client)s AND EXISTS (SELECT 1 FROM agent) RETURNING last_appointment_number AS n),
     booked AS (INSERT INTO appointments (client_id, number, campaign_id, agent_id, zone_id, start_at, end_at,
                busy_until, state, prospect_name, prospect_phone, prospect_postal_code, notes, fields,
                out_of_schedule, needs_rescheduling, cancel_reason, outcome_notes, booked_by_id, created_at)
                SELECT %(client)s, n, %(campaign)s, %(agent)s, %(zone)s, %(start)s, %(end)s, %(busy_until)s,
                'to_confirm', %(name)s, %(phone)s, %(postal_code)s, '', '{}', false, false, '', '', %(user)s, now()
                FROM number RETURNING id, number),
     folder AS (INSERT INTO folder_counters (agent_id, zone_id, taken, to_confirm, cancelled)
                SELECT %(agent)s, %(zone)s, 1, 1, 0 FROM booked
                ON CONFLICT (agent_id, zone_id) DO UPDATE SET taken = folder_counters.taken + 1,
                to_confirm = folder_counters.to_confirm + 1)
INSERT INTO changes (client_id, campaign_id, zone_id, agent_id, appointment_id, appointment_number, subject,
                     action, before, after, actor_id, at)
SELECT %(client)s, %(campaign)s, %(zone)s, %(agent)s, id, number, 'appointment', 'booked', '{}', %(after)s,
       %(user)s, now() FROM booked RETURNING appointment_number
"""


def floor(request):
    """No database, no authentication: what any request of this app costs at least."""
    return {"ok": True}


def stack_floor(request):
    """A booking at the least this stack can do: the portal's authentication and transaction, one
    query for the ids and the writes in one SQL statement on the session's own connection."""
    if request.user is None:
        raise HTTPForbidden()
    body = request.json_body
    connection = request.dbsession.connection().connection.driver_connection
    mark_changed(request.dbsession)  # written past the ORM: commit all the same
    client, campaign, agent, zone = connection.execute(
        "SELECT c.id, k.id, a.id, az.zone_id FROM clients c JOIN campaigns k ON k.client_id = c.id "
        "JOIN agents a ON a.client_id = c.id JOIN agent_zones az ON az.agent_id = a.id "
        "WHERE c.slug = %s AND k.slug = %s AND a.slug = %s LIMIT 1",
        (request.matchdict["client"], request.matchdict["campaign"], body["agent"])).fetchone()
    start = datetime.fromisoformat(body["start"]).astimezone(timezone.utc)
    prospect = body["prospect"]
    booked = connection.execute(ONE_STATEMENT_BOOKING, dict(
        client=client, campaign=campaign, agent=agent, zone=zone, start=start, end=start + timedelta(minutes=60),
        busy_until=start + timedelta(minutes=90), name=prospect["name"], phone=prospect["phone"],
        postal_code=prospect["postal_code"], user=request.user.id,
        after=json.dumps({"state": "to_confirm", "start": start.isoformat(), "agent": body["agent"]}))).fetchone()
    if booked is None:
        request.response.status_int = 409
        return {"error": {"code": "quota_exhausted"}}
    request.response.status_int = 201
    return {"number": booked[0], "start": start.isoformat()}


def make_bench_app(settings):
    settings = apply_environment(settings)
    with Configurator(settings=settings) as config:
        config.include("portal")
        for package in DOMAIN_PACKAGES:
            config.include(package)
        config.add_route("bench_floor", FLOOR_PATH)
        config.add_view(floor, route_name="bench_floor", renderer="json", permission=NO_PERMISSION_REQUIRED)
        config.add_route("bench_stack_floor", STACK_FLOOR_PATH, request_method="POST")
        config.add_view(stack_floor, route_name="bench_stack_floor", renderer="json",
                        permission=NO_PERMISSION_REQUIRED)
        configure_mappers()
        return make_wsgi_app(config)


def application_from_ini(ini):
    settings = dict(get_appsettings(ini, name="main"))
    settings["portal.queue"] = os.environ.get("PORTAL_BENCH_QUEUE", "portal-bench")
    return make_bench_app(settings)


application = application_from_ini(os.environ.get("PORTAL_BENCH_INI", "production.ini")) \
    if os.environ.get("PORTAL_BENCH_SERVE") else None
