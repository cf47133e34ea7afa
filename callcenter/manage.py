"""portal-manage <ini> create-user | out-of-schedule | create-token | demo-data | migrate | worker | relay-outbox
                      | run-periodic | unlock | reset-two-factor
(spec §11)."""
import argparse
import getpass
import sys

from pyramid.paster import get_appsettings, setup_logging
from pyramid.scripting import prepare
from sqlalchemy import func, select

from agents.services import (agent_by_slug, client_by_slug, create_user, set_out_of_schedule_permission,
                             zones_by_slug)
from callcenter.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo_data
from portal import make_app
from portal.errors import RuleViolation
from portal.webhooks.endpoints import create_endpoint
from portal.accounts.models import ROLES, ApiToken, User
from portal.jobs.outbox import get_context, relay
from portal.jobs.periodic import PERIODIC_TASKS, run_all


def main(argv=None):
    parser = argparse.ArgumentParser(prog="portal-manage", description=__doc__)
    parser.add_argument("config_uri", help="the ini file, e.g. development.ini")
    commands = parser.add_subparsers(dest="command", required=True)
    user = commands.add_parser("create-user", help="create a login")
    user.add_argument("email")
    user.add_argument("--role", required=True, choices=ROLES)
    user.add_argument("--client", help="client slug (client, zone_manager, agent)")
    user.add_argument("--zone", action="append", default=[], help="zone slug of a zone manager (repeatable)")
    user.add_argument("--agent", help="agent slug of an agent's login")
    user.add_argument("--name", default="")
    user.add_argument("--password", help="asked for when not given")
    user.add_argument("--may-book-out-of-schedule", action="store_true",
                      help="an operator allowed to book outside the agents' schedules (rule 9)")
    trust = commands.add_parser("out-of-schedule", help="allow or forbid an operator to book out of schedule")
    trust.add_argument("email")
    trust.add_argument("decision", choices=("grant", "withdraw"))
    token = commands.add_parser("create-token", help="print a new API token for a user")
    token.add_argument("email")
    token.add_argument("--label", default="cli")
    commands.add_parser("demo-data", help="load the demo client once and print its logins")
    unlock = commands.add_parser("unlock", help="let a locked account (or address) try to log in again")
    unlock.add_argument("email", nargs="?", default="")
    unlock.add_argument("--ip", default="", help="also clear the failures counted for this client address")
    reset_two_factor = commands.add_parser("reset-two-factor", help="turn off a user's two-factor sign-in (lost "
                                                                     "device); he/she enrols again")
    reset_two_factor.add_argument("email")
    worker = commands.add_parser("worker", help="run an RQ worker for the portal's jobs")
    worker.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    worker.add_argument("--simple", action="store_true", help="run jobs in the worker's own process (no fork)")
    webhook = commands.add_parser("add-webhook", help="add a webhook endpoint and print its signing secret once")
    webhook.add_argument("url", help="https:// address of the receiver")
    webhook.add_argument("--client", help="client slug (its events only); none: the call-center's, every client")
    webhook.add_argument("--event", action="append", default=[], help="event type to send (repeatable; none: all)")
    webhook.add_argument("--description", default="")
    commands.add_parser("relay-outbox", help="push outbox jobs that were not pushed after commit")
    commands.add_parser("run-periodic", help="run every periodic task once (relay, recoveries, worklists, "
                                             "agendas, reminders, old exports)")
    commands.add_parser("migrate", help="bring the database schema to the latest revision")
    args = parser.parse_args(argv)
    setup_logging(args.config_uri)
    if args.command == "migrate":
        return migrate(args.config_uri)
    if args.command in ("worker", "relay-outbox", "run-periodic"):
        with bootstrap(args.config_uri):
            context = get_context()
            if args.command == "relay-outbox":
                print(f"pushed {relay(context)} outbox job(s)")
                return 0
            if args.command == "run-periodic":
                return run_periodic(context)
            return run_worker(context, burst=args.burst, simple=args.simple)
    with bootstrap(args.config_uri) as env:
        request = env["request"]
        try:
            with request.tm:
                return COMMANDS[args.command](request, args)
        except RuleViolation as violation:
            field = f" ({violation.field})" if violation.field else ""
            print(f"error: {violation.code}{field}: {request.localizer.translate(violation.message)}", file=sys.stderr)
            return 2


def bootstrap(config_uri):
    """The app's registry and a request, like pyramid's ``bootstrap``, but through ``make_app``: a
    command never starts the web server's in-process scheduler."""
    app = make_app(get_appsettings(config_uri))
    return prepare(registry=app.registry)


def create_user_command(request, args):
    dbsession = request.dbsession
    client = agent = None
    zones = []
    if args.client:
        client = client_by_slug(dbsession, args.client)
        zones = zones_by_slug(dbsession, client, args.zone, field="zone")
        agent = agent_by_slug(dbsession, client, args.agent) if args.agent else None
    password = args.password or getpass.getpass("Password: ")
    user = create_user(dbsession, email=args.email, password=password, role=args.role, name=args.name,
                       client=client, zones=zones, agent=agent,
                       may_book_out_of_schedule=args.may_book_out_of_schedule)
    trusted = ", may book out of schedule" if user.may_book_out_of_schedule else ""
    print(f"created {user.email} ({user.role}{trusted})")
    return 0


def out_of_schedule_command(request, args):
    user = user_by_email(request, args.email)
    if user is None:
        return 2
    set_out_of_schedule_permission(user, args.decision == "grant")
    print(f"{user.email} {'may' if user.may_book_out_of_schedule else 'may no longer'} book out of schedule")
    return 0


def user_by_email(request, email):
    user = request.dbsession.execute(
        select(User).where(func.lower(User.email) == email.strip().lower())
    ).scalar_one_or_none()
    if user is None:
        print(f"error: no user {email}", file=sys.stderr)
    return user


def create_token_command(request, args):
    user = user_by_email(request, args.email)
    if user is None:
        return 2
    token, secret = ApiToken.issue(user, label=args.label)
    request.dbsession.add(token)
    print(secret)
    return 0


def demo_data_command(request, args):
    created = load_demo_data(request.dbsession, now=request.now)
    print("Demo data loaded." if created else "Demo data already present.")
    print(f"Demo logins (password: {DEMO_PASSWORD}):")
    for email, role in DEMO_LOGINS:
        print(f"  {role:<16} {email}")
    return 0


def run_periodic(context):
    """Every periodic task once, each in its own transaction; a failure is reported and the others run."""
    failed = 0
    for task in PERIODIC_TASKS:
        result = run_all(context, (task,))[task.function]
        if isinstance(result, Exception):
            failed += 1
            print(f"{task.function}: failed: {result!r}", file=sys.stderr)
        else:
            print(f"{task.function}: {result}")
    return 1 if failed else 0


def run_worker(context, burst=False, simple=False):
    """A worker of the portal's queue, with the app's settings and database (the job context)."""
    from rq import SimpleWorker, Worker

    if context.redis is None:
        print("error: portal.redis_url (PORTAL_REDIS_URL) is empty: jobs run in-process", file=sys.stderr)
        return 2
    worker_class = SimpleWorker if simple else Worker
    # with_scheduler: retries after an interval (rq.Retry) wait in RQ's scheduled registry until then.
    worker_class([context.queue()], connection=context.redis).work(burst=burst, with_scheduler=True)
    return 0


def migrate(config_uri):
    from alembic import command
    from alembic.config import Config

    command.upgrade(Config(config_uri.split("#")[0]), "head")
    return 0


def unlock_command(request, args):
    """Recorded in the sign-in audit, as the admins' page does."""
    from portal.accounts import signin

    email, ip = args.email.strip().lower(), args.ip.strip()
    if not email and not ip:
        print("error: give an e-mail or --ip", file=sys.stderr)
        return 2
    throttle = signin.Throttle.from_settings(request.registry.settings)
    signin.forget_failures(request.dbsession, throttle, request.now, email=email or None, ip=ip or None)
    signin.record(request.dbsession, signin.UNLOCKED, now=request.now, ip=ip, agent="portal-manage",
                  user=signin.user_by_email(request.dbsession, email) if email else None, email=email)
    print(f"unlocked {email or ''}{' ' + ip if ip else ''}".strip())
    return 0


def reset_two_factor_command(request, args):
    from portal.accounts import signin

    user = user_by_email(request, args.email)
    if user is None:
        return 2
    signin.turn_off_two_factor(request.dbsession, user)
    signin.record(request.dbsession, signin.TWO_FACTOR_RESET, now=request.now, agent="portal-manage", user=user)
    print(f"two-factor sign-in of {user.email} is off; the user enrols again")
    return 0


def add_webhook_command(request, args):
    client = client_by_slug(request.dbsession, args.client) if args.client else None
    endpoint, secret = create_endpoint(request.dbsession, request.registry.settings, url=args.url, now=request.now,
                                       client_id=client.id if client else None, event_types=args.event,
                                       description=args.description)
    print(f"webhook endpoint {endpoint.id} for {client.slug if client else 'every client'}: {endpoint.url}")
    print(f"signing secret (shown once): {secret}")
    return 0


COMMANDS = {
    "add-webhook": add_webhook_command,
    "unlock": unlock_command,
    "reset-two-factor": reset_two_factor_command,
    "create-user": create_user_command,
    "out-of-schedule": out_of_schedule_command,
    "create-token": create_token_command,
    "demo-data": demo_data_command,
}

if __name__ == "__main__":
    sys.exit(main())
