"""The generated permission matrix (README "Signing in safely"; spec §3, §4, §10).

Every view the app registers (Pyramid's introspection) and every operation of the OpenAPI
document is called as anonymous, as each role around tenant A and against tenant B's objects;
every answer must be what the ACLs intend. A view or an operation without a row in VIEWS fails
``test_every_registered_view_has_a_row`` (or ``test_every_api_operation_has_a_row``), so a new view
cannot be forgotten: add its line, with the permission it is meant to need.

How to read the tables: VIEWS says, for each view, the permission it is *meant* to require (not
read from the registration, so a view registered with a weaker permission fails). GRANTS says who
holds each permission at each place of tenant A's tree. A call by someone holding the permission
must get past the ACL (2xx, 3xx, or a 4xx refusal of the empty or incomplete body: 400, 409,
422, or an error code of its own); anyone else must be refused: a page sends anonymous visitors
to /login, the API answers them 401; signed-in users get 403, pages and API alike (the portal
never answers 404 for an existing object out of reach, so a 404 there would be a change). On
tenant B's objects, tenant A's client user, zone manager, agent and account manager are always
refused. No answer to a user outside a tenant ever holds that tenant's names (client, zones,
agents, campaign, prospects), nor one to a zone manager or an agent the names of the rest of
the client (the other zone, its agent and prospect).

Logins are Bearer tokens, for pages too: the principals (and so the ACLs) are those of a session,
and CSRF, which is not a permission, stays out of the way (tests/portal/accounts/test_auth.py covers it).
"""
from dataclasses import dataclass
from datetime import date, datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy.orm import sessionmaker

from agents.resources import AgentContainer, AgentFolder, UserContainer, ZoneContainer, ZoneFolder
from agents.services import add_closed_day, add_schedule_exception
from callcenter.appointments.resources import (AppointmentContainer, AppointmentResource, CallCenter,
                                              CampaignAppointments, CancellationRequestResource)
from callcenter.booking.resources import HoldContainer, HoldResource
from callcenter.booking.services import book_appointment, hold_slot
from callcenter.feeds.resources import FeedResource
from callcenter.feeds.services import issue_feed
from callcenter.lifecycle.services import request_cancellation
from callcenter.reports.dashboard import Dashboard, PendingRequests
from callcenter.reports.models import Export
from callcenter.reports.resources import ExportContainer, ExportResource
from campaigns.mail_template_views import MailTemplateContainer, MailTemplateResource
from campaigns.resources import (CampaignContainer, CampaignFolder, ClientContainer, ClientFolder, FieldContainer,
                                 StepContainer, StepResource)
from campaigns.services import add_step
from portal.api.openapi import load_document
from portal.resources import Root
from portal.accounts.signin_views import SignInLog
from tests.conftest import NOW
from tests.factories import Tenant, make_token

ROLES = ("anonymous", "client", "zone_manager", "agent", "operator", "account_manager", "other_account_manager",
         "admin")
# Column names of GRANTS, in the order of ROLES.
ROLE_COLUMNS = ("anon", "client", "zm", "agent", "op", "am", "am_b", "admin")
# Tenant A's users who must never reach tenant B (the operator and the admin serve every client).
TENANT_BOUND = ("client", "zone_manager", "agent", "account_manager")

# Who holds each permission, by place of tenant A's tree: the intent of the ACLs (spec §3).
#   client: the client folder and whatever below it adds no ACL entry of its own (campaigns, steps,
#           fields, holds container, mail templates, zone and agent containers, the appointments list);
#   zone: the zone the zone manager manages; agent: the agent user's own folder (in that zone);
#   appointment: one of that agent's appointments in that zone, and its cancellation request;
#   hold: a hold of the operator; export: an export the client user asked for; feed: the agent's
#   calendar feed URL; site: the root and the call-center's own folders (no tenant).
# am = tenant A's account manager, am_b = tenant B's (not A's portfolio); "Y" holds it.
GRANTS = """
permission              place        anon client zm agent op am am_b admin
public                  any          Y    Y      Y  Y     Y  Y  Y    Y
authenticated           site         -    Y      Y  Y     Y  Y  Y    Y
list_clients            site         -    -      -  -     Y  Y  Y    Y
create_client           site         -    -      -  -     -  Y  Y    Y
create_user             site         -    -      -  -     -  Y  Y    Y
book                    site         -    -      -  -     Y  Y  Y    Y
confirmation_call       site         -    -      -  -     Y  Y  Y    Y
dashboard               site         -    -      -  -     -  Y  Y    Y
manage                  site         -    -      -  -     -  -  -    Y
see_jobs                site         -    -      -  -     -  -  -    Y
see_sign_ins            site         -    -      -  -     -  -  -    Y
manage_sign_in          site         -    -      -  -     -  -  -    Y
view                    client       -    Y      -  -     Y  Y  -    Y
statistics              client       -    Y      -  -     -  Y  -    Y
declare_unavailability  client       -    Y      -  -     -  Y  -    Y
book                    client       -    -      -  -     Y  Y  -    Y
book_out_of_schedule    client       -    -      -  -     -  Y  -    Y
manage                  client       -    -      -  -     -  Y  -    Y
view                    zone         -    Y      Y  -     Y  Y  -    Y
statistics              zone         -    Y      Y  -     -  Y  -    Y
declare_unavailability  zone         -    Y      Y  -     -  Y  -    Y
calendar_feed           zone         -    -      Y  -     -  -  -    Y
manage                  zone         -    -      -  -     -  Y  -    Y
view                    agent        -    Y      Y  Y     Y  Y  -    Y
statistics              agent        -    Y      Y  -     -  Y  -    Y
declare_unavailability  agent        -    Y      Y  Y     -  Y  -    Y
calendar_feed           agent        -    -      -  Y     -  -  -    Y
manage                  agent        -    -      -  -     -  Y  -    Y
view                    appointment  -    Y      Y  Y     Y  Y  -    Y
confirm                 appointment  -    -      -  Y     Y  Y  -    Y
confirmation_call       appointment  -    -      -  -     Y  Y  -    Y
contact                 appointment  -    -      -  Y     -  Y  -    Y
outcome                 appointment  -    -      -  Y     Y  Y  -    Y
request_cancellation    appointment  -    Y      Y  -     -  -  -    Y
decide_cancellation     appointment  -    -      -  -     -  Y  -    Y
release                 hold         -    -      -  -     Y  -  -    Y
download_export         export       -    Y      -  -     -  -  -    Y
read_feed               feed         Y    Y      Y  Y     Y  Y  Y    Y
"""

# Where each kind of resource sits (a place of GRANTS).
PLACE = {
    Root: "site", ClientContainer: "site", CallCenter: "site", Dashboard: "site", PendingRequests: "site",
    UserContainer: "site", SignInLog: "site",
    ClientFolder: "client", CampaignContainer: "client", CampaignFolder: "client", CampaignAppointments: "client",
    StepContainer: "client", StepResource: "client", FieldContainer: "client", HoldContainer: "client",
    MailTemplateContainer: "client", MailTemplateResource: "client", ZoneContainer: "client",
    AgentContainer: "client", AppointmentContainer: "client",
    ZoneFolder: "zone", AgentFolder: "agent",
    AppointmentResource: "appointment", CancellationRequestResource: "appointment",
    HoldResource: "hold", ExportResource: "export", FeedResource: "feed",
}

# One line per registered view: its context, view name ("-": the default view), request method
# ("*": any, called with GET), "page" or "api" (the /api/v1 route), and the permission it is meant
# to need. API views are called through the operations of the OpenAPI document that reach them.
# Static files are public (context "static", the view's name is the folder under /static/).
VIEWS = """
context                      name                   method  route   permission
Root                         -                      *       page    authenticated
Root                         jobs                   GET     page    see_jobs
Root                         language               *       page    public
Root                         login                  *       page    public
Root                         logout                 POST    page    public
Root                         openapi.json           GET     api     public
Root                         password               *       page    authenticated
Root                         retry-job              POST    page    see_jobs
Root                         retry-outbox           POST    page    see_jobs
Root                         end-other-sessions     POST    page    authenticated
Root                         forgot-password        *       page    public
Root                         login-code             *       page    public
Root                         reset-password         *       page    public
Root                         two-factor             *       page    public
Root                         two-factor-off         POST    page    authenticated
SignInLog                    -                      GET     page    see_sign_ins
SignInLog                    -                      GET     api     see_sign_ins
SignInLog                    reset-two-factor       POST    page    manage_sign_in
SignInLog                    two-factor-policy      POST    page    manage_sign_in
SignInLog                    unlock                 POST    page    manage_sign_in
Root                         revoke-token           POST    page    authenticated
Root                         tokens                 *       page    authenticated
static                       callcenter             GET     static  public
static                       deform                 GET     static  public
static                       portal                 GET     static  public
static                       workspace              GET     static  public
CallCenter                   -                      GET     api     book
CallCenter                   -                      *       page    book
CallCenter                   confirmations          GET     api     confirmation_call
CallCenter                   confirmations          *       page    book
CallCenter                   recoveries             GET     api     book
CallCenter                   recoveries             *       page    book
CallCenter                   rescheduling           GET     api     confirmation_call
CallCenter                   rescheduling           *       page    book
Dashboard                    -                      GET     api     dashboard
Dashboard                    -                      *       page    dashboard
PendingRequests              -                      *       page    dashboard
UserContainer                -                      POST    api     create_user
UserContainer                -                      *       page    manage
UserContainer                active                 POST    page    manage
UserContainer                out-of-schedule        POST    page    manage
ClientContainer              -                      GET     api     list_clients
ClientContainer              -                      POST    api     create_client
ClientContainer              -                      *       page    list_clients
ClientContainer              add                    *       page    create_client
ClientFolder                 -                      GET     api     view
ClientFolder                 -                      PATCH   api     manage
ClientFolder                 -                      *       page    view
ClientFolder                 changes                GET     api     view
ClientFolder                 closed-days            DELETE  api     manage
ClientFolder                 closed-days            GET     api     view
ClientFolder                 closed-days            POST    api     manage
ClientFolder                 closed-days            GET     page    view
ClientFolder                 closed-days            POST    page    manage
ClientFolder                 edit                   *       page    manage
ClientFolder                 export                 POST    api     view
ClientFolder                 export                 POST    page    view
ClientFolder                 remove-closed-day      POST    page    manage
ClientFolder                 statistics             GET     api     statistics
ClientFolder                 statistics             GET     page    statistics
ClientFolder                 totals                 GET     api     view
ClientFolder                 totals                 GET     page    view
ClientFolder                 unavailabilities       GET     api     view
ClientFolder                 unavailabilities       POST    api     declare_unavailability
ClientFolder                 unavailability         GET     page    view
ClientFolder                 unavailability         POST    page    declare_unavailability
ClientFolder                 user-active            POST    page    manage
ClientFolder                 users                  *       page    manage
CampaignContainer            -                      GET     api     view
CampaignContainer            -                      POST    api     manage
CampaignContainer            add                    *       page    manage
CampaignFolder               -                      GET     api     view
CampaignFolder               -                      PATCH   api     manage
CampaignFolder               -                      *       page    view
CampaignFolder               book                   GET     page    book
CampaignFolder               book                   POST    page    book
CampaignFolder               book-out-of-schedule   *       page    book_out_of_schedule
CampaignFolder               export                 POST    api     view
CampaignFolder               export                 POST    page    view
CampaignFolder               settings               *       page    manage
CampaignFolder               slots                  GET     api     book
CampaignFolder               statistics             GET     api     statistics
CampaignFolder               statistics             GET     page    statistics
CampaignFolder               totals                 GET     api     view
CampaignFolder               totals                 GET     page    view
CampaignAppointments         -                      GET     api     view
CampaignAppointments         -                      POST    api     book
CampaignAppointments         import                 POST    api     manage
CampaignAppointments         import                 GET     page    manage
CampaignAppointments         import                 POST    page    manage
CampaignAppointments         import-template.xlsx   GET     page    manage
StepContainer                -                      GET     api     view
StepContainer                -                      POST    api     manage
StepContainer                -                      *       page    view
StepContainer                add                    *       page    manage
StepResource                 -                      DELETE  api     manage
StepResource                 -                      GET     api     view
StepResource                 -                      PATCH   api     manage
StepResource                 -                      *       page    view
StepResource                 confirm                POST    api     manage
StepResource                 confirm                POST    page    manage
StepResource                 delete                 POST    page    manage
StepResource                 edit                   *       page    manage
StepResource                 summary                *       page    view
FieldContainer               -                      GET     api     view
FieldContainer               -                      POST    api     manage
FieldContainer               -                      *       page    manage
HoldContainer                -                      POST    api     book
HoldResource                 -                      DELETE  api     release
HoldResource                 -                      *       page    release
HoldResource                 release                POST    page    release
MailTemplateContainer        -                      GET     api     manage
MailTemplateContainer        -                      GET     page    manage
MailTemplateResource         -                      DELETE  api     manage
MailTemplateResource         -                      GET     api     manage
MailTemplateResource         -                      PUT     api     manage
MailTemplateResource         -                      GET     page    manage
MailTemplateResource         -                      POST    page    manage
ZoneContainer                -                      GET     api     view
ZoneContainer                -                      POST    api     manage
ZoneContainer                -                      GET     page    view
ZoneContainer                -                      POST    page    manage
ZoneFolder                   -                      GET     api     view
ZoneFolder                   -                      *       page    view
ZoneFolder                   appointments           GET     api     view
ZoneFolder                   appointments           *       page    view
ZoneFolder                   calendar-feed          GET     page    view
ZoneFolder                   calendar-feed          POST    page    calendar_feed
ZoneFolder                   changes                GET     api     view
ZoneFolder                   edit                   *       page    manage
ZoneFolder                   export                 POST    api     view
ZoneFolder                   export                 POST    page    view
ZoneFolder                   statistics             GET     api     statistics
ZoneFolder                   statistics             GET     page    statistics
ZoneFolder                   totals                 GET     api     view
ZoneFolder                   totals                 GET     page    view
ZoneFolder                   unavailabilities       GET     api     view
ZoneFolder                   unavailabilities       POST    api     declare_unavailability
ZoneFolder                   unavailability         GET     page    view
ZoneFolder                   unavailability         POST    page    declare_unavailability
AgentContainer               -                      GET     api     view
AgentContainer               -                      POST    api     manage
AgentContainer               -                      GET     page    view
AgentContainer               -                      POST    page    manage
AgentContainer               add                    *       page    manage
AgentFolder                  -                      GET     api     view
AgentFolder                  -                      PATCH   api     manage
AgentFolder                  -                      *       page    view
AgentFolder                  add-exception          *       page    manage
AgentFolder                  appointments           GET     api     view
AgentFolder                  appointments           *       page    view
AgentFolder                  calendar-feed          GET     page    view
AgentFolder                  calendar-feed          POST    page    calendar_feed
AgentFolder                  changes                GET     api     view
AgentFolder                  deactivate             POST    page    manage
AgentFolder                  edit                   *       page    manage
AgentFolder                  edit-schedule          *       page    manage
AgentFolder                  exceptions             DELETE  api     manage
AgentFolder                  exceptions             POST    api     manage
AgentFolder                  export                 POST    api     view
AgentFolder                  export                 POST    page    view
AgentFolder                  reactivate             POST    page    manage
AgentFolder                  remove-exception       POST    page    manage
AgentFolder                  schedule               GET     api     view
AgentFolder                  schedule               PUT     api     manage
AgentFolder                  statistics             GET     api     statistics
AgentFolder                  statistics             GET     page    statistics
AgentFolder                  totals                 GET     api     view
AgentFolder                  totals                 GET     page    view
AgentFolder                  unavailabilities       GET     api     view
AgentFolder                  unavailabilities       POST    api     declare_unavailability
AgentFolder                  unavailability         GET     page    view
AgentFolder                  unavailability         POST    page    declare_unavailability
AppointmentContainer         -                      GET     api     view
AppointmentContainer         -                      *       page    view
AppointmentResource          -                      GET     api     view
AppointmentResource          -                      GET     page    view
AppointmentResource          confirm                POST    api     confirm
AppointmentResource          confirm                GET     page    view
AppointmentResource          confirm                POST    page    confirm
AppointmentResource          confirmation-call      POST    api     confirmation_call
AppointmentResource          confirmation-call      GET     page    view
AppointmentResource          confirmation-call      POST    page    confirmation_call
AppointmentResource          contacted              POST    api     contact
AppointmentResource          contacted              GET     page    view
AppointmentResource          contacted              POST    page    contact
AppointmentResource          history                GET     api     view
AppointmentResource          outcome                POST    api     outcome
AppointmentResource          outcome                GET     page    view
AppointmentResource          outcome                POST    page    outcome
AppointmentResource          postpone               POST    api     confirm
AppointmentResource          postpone               GET     page    view
AppointmentResource          postpone               POST    page    confirm
CancellationRequestResource  -                      GET     api     view
CancellationRequestResource  -                      POST    api     request_cancellation
CancellationRequestResource  -                      GET     page    view
CancellationRequestResource  -                      POST    page    request_cancellation
CancellationRequestResource  approve                POST    api     decide_cancellation
CancellationRequestResource  decide                 GET     page    view
CancellationRequestResource  decide                 POST    page    decide_cancellation
CancellationRequestResource  reject                 POST    api     decide_cancellation
ExportResource               -                      GET     api     download_export
ExportResource               -                      GET     page    download_export
ExportResource               download               GET     page    download_export
FeedResource                 -                      GET     page    read_feed
"""


@dataclass(frozen=True)
class Row:
    context: str
    name: str
    method: str
    route: str
    permission: str

    @property
    def key(self):
        return (self.context, self.name, self.method, self.route)

    def __str__(self):
        return f"{self.context:<28} {self.name:<22} {self.method:<7} {self.route:<7} {self.permission}"


def parse_views():
    header, *lines = VIEWS.strip().splitlines()
    rows = [Row(*line.split()) for line in lines]
    keys = [row.key for row in rows]
    assert len(keys) == len(set(keys)), "a view has two rows in VIEWS"
    return {row.key: row for row in rows}


def parse_grants():
    header, *lines = [line.split() for line in GRANTS.strip().splitlines()]
    assert tuple(header[2:]) == ROLE_COLUMNS
    grants = {}
    for permission, place, *marks in lines:
        grants[permission, place] = {role for role, mark in zip(ROLES, marks) if mark == "Y"}
    return grants


ROWS = parse_views()
GRANT = parse_grants()
CLASS_BY_NAME = {cls.__name__: cls for cls in PLACE}


def holders(row):
    """The roles meant to get past the ACL of ``row``'s view on tenant A."""
    if row.permission == "public":
        return set(ROLES)
    place = "site" if row.context == "static" else PLACE[CLASS_BY_NAME[row.context]]
    try:
        return GRANT[row.permission, place]
    except KeyError:
        raise AssertionError(f"GRANTS has no line for permission {row.permission!r} at place {place!r} ({row})")


# --- The registered views ----------------------------------------------------------------------------


def registered_views(registry):
    """{key: registered permission} of every view a URL can reach (exception views are reached
    through the errors they render, which the calls below meet)."""
    found = {}
    for item in registry.introspector.get_category("views"):
        view = item["introspectable"]
        context, route = view["context"], view["route_name"] or ""
        permission = next((related["value"] for related in item["related"]
                           if related.category_name == "permissions"), None)
        if route.startswith("__static/"):
            found["static", route[len("__static/"):].strip("/"), "GET", "static"] = "public"
            continue
        if view["exception_only"] or not isinstance(context, type) or issubclass(context, BaseException):
            continue
        methods = view["request_methods"] or ("*",)
        for method in (methods,) if isinstance(methods, str) else methods:
            found[context.__name__, view["name"] or "-", method, "api" if route == "api" else "page"] = permission
    return found


def test_every_registered_view_has_a_row(wsgi_app):
    registered = registered_views(wsgi_app.registry)
    missing = sorted(set(registered) - set(ROWS))
    stale = sorted(set(ROWS) - set(registered))
    message = []
    if missing:
        message.append("views without a row in VIEWS of tests/functional/test_permission_matrix.py "
                       "(add these lines with the permission each is meant to need):")
        message += [str(Row(*key, registered[key] if registered[key] != "__no_permission_required__" else "public"))
                    for key in missing]
    if stale:
        message.append("rows of VIEWS naming no registered view (remove them):")
        message += [str(ROWS[key]) for key in stale]
    assert not message, "\n".join(message)


def test_every_context_has_a_place():
    contexts = {row.context for row in ROWS.values()} - {"static"}
    assert contexts <= set(CLASS_BY_NAME), f"add these classes to PLACE: {sorted(contexts - set(CLASS_BY_NAME))}"


# --- The world: tenant A and tenant B, shared by every call of the module -----------------------------

ITEM_OF = {ClientContainer: ClientFolder, CampaignContainer: CampaignFolder, StepContainer: StepResource,
           ZoneContainer: ZoneFolder, AgentContainer: AgentFolder, AppointmentContainer: AppointmentResource,
           HoldContainer: HoldResource, ExportContainer: ExportResource, MailTemplateContainer: MailTemplateResource}
APPOINTMENT_START = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)  # Thursday 10:00 in Rome
HOLD_START = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)


def build_tenant(dbsession, prefix):
    """A tenant whose every name starts with ``prefix`` (so that a leak is easy to spot)."""
    tenant = Tenant(dbsession, purchased=10)
    tenant.client.name = f"{prefix}cliente Srl"
    tenant.zone.name, tenant.other_zone.name = f"{prefix}zona Nord", f"{prefix}zona Sud"
    tenant.agent.name, tenant.other_agent.name = f"{prefix}agente Uno", f"{prefix}agente Due"
    tenant.campaign.name = f"{prefix}campagna Serramenti"
    appointments = [
        book_appointment(dbsession, campaign=tenant.campaign, agent=agent, start=APPOINTMENT_START,
                         prospect={"name": f"{prefix}prospetto {label}", "phone": "+39 02 1234567",
                                   "postal_code": postal_code},
                         booked_by=tenant.operator, now=NOW)
        for agent, postal_code, label in ((tenant.agent, "20121", "Uno"), (tenant.other_agent, "10121", "Due"))]
    request_cancellation(dbsession, appointments[0], reason="wrong_target", notes="", actor=tenant.client_user,
                         now=NOW)
    add_step(dbsession, tenant.campaign, quantity=5, now=NOW)  # step 2, a draft
    hold = hold_slot(dbsession, campaign=tenant.campaign, agent=tenant.agent, start=HOLD_START,
                     operator=tenant.operator, now=NOW)
    export = Export(client_id=tenant.client.id, owner_id=tenant.client_user.id, folder="",
                    scope={"client_id": tenant.client.id}, filters={}, locale="it", state="queued", rows_done=0,
                    error="", created_at=NOW)
    dbsession.add(export)
    exception = add_schedule_exception(dbsession, tenant.agent, day=date(2026, 12, 3), kind="closure")
    closed_day = add_closed_day(dbsession, tenant.client, day=date(2026, 12, 4))
    _, feed_secret = issue_feed(dbsession, tenant.agent_user, tenant.client, {"agent_id": tenant.agent.id}, now=NOW)
    dbsession.flush()
    client = f"/clients/{tenant.client.slug}/"
    campaign = f"{client}campaigns/{tenant.campaign.slug}/"
    return {
        "paths": {
            ClientFolder: client, CampaignContainer: client + "campaigns/", CampaignFolder: campaign,
            CampaignAppointments: campaign + "appointments/", StepContainer: campaign + "steps/",
            StepResource: campaign + "steps/2/", FieldContainer: campaign + "fields/",
            HoldContainer: campaign + "holds/", HoldResource: f"{campaign}holds/{hold.id}/",
            MailTemplateContainer: client + "mail-templates/",
            MailTemplateResource: client + "mail-templates/quota_alert/",
            ZoneContainer: client + "zones/", ZoneFolder: f"{client}zones/{tenant.zone.slug}/",
            AgentContainer: client + "agents/", AgentFolder: f"{client}agents/{tenant.agent.slug}/",
            AppointmentContainer: client + "appointments/", AppointmentResource: client + "appointments/1/",
            CancellationRequestResource: client + "appointments/1/cancellation-request/",
            ExportResource: f"{client}exports/{export.id}/", FeedResource: f"/feeds/{feed_secret}.ics",
        },
        # The value of each placeholder of the OpenAPI paths, by the segment before it.
        "placeholders": {
            "clients": tenant.client.slug, "campaigns": tenant.campaign.slug, "steps": "2", "appointments": "1",
            "zones": tenant.zone.slug, "agents": tenant.agent.slug, "holds": str(hold.id),
            "exports": str(export.id), "mail-templates": "quota_alert", "exceptions": str(exception.id),
            "closed-days": str(closed_day.id),
        },
        # The form fields of page views that act on one row, named by its id.
        "forms": {
            ("UserContainer", "active"): {"id": tenant.operator.id, "active": "0"},
            ("UserContainer", "out-of-schedule"): {"id": tenant.operator.id, "allowed": "1"},
            ("ClientFolder", "user-active"): {"id": tenant.client_user.id, "active": "0"},
            ("ClientFolder", "remove-closed-day"): {"id": closed_day.id},
            ("AgentFolder", "remove-exception"): {"id": exception.id},
        },
        "names": [tenant.client.name, tenant.zone.name, tenant.other_zone.name, tenant.agent.name,
                  tenant.other_agent.name, tenant.campaign.name, f"{prefix}prospetto Uno", f"{prefix}prospetto Due"],
        # What the zone manager and the agent must not see of their own client: the rest of it.
        "beyond_the_zone": [tenant.other_zone.name, tenant.other_agent.name, f"{prefix}prospetto Due"],
        "tenant": tenant,
    }


SITE_PATHS = {Root: "/", ClientContainer: "/clients/", CallCenter: "/callcenter/", Dashboard: "/dashboard/",
              PendingRequests: "/dashboard/cancellation-requests/", UserContainer: "/users/",
              SignInLog: "/sign-ins/"}
STATIC_FILES = {"callcenter": "/static/callcenter/export-progress.js",
                "deform": "/static/deform/css/form.css", "portal": "/static/portal/portal.css",
                "workspace": "/static/workspace/campaign-search.js"}


@pytest.fixture(scope="module")
def world_connection(engine):
    connection = engine.connect()
    outer = connection.begin()
    yield connection
    outer.rollback()
    connection.close()


@pytest.fixture(scope="module")
def world(world_connection):
    dbsession = sessionmaker(bind=world_connection, join_transaction_mode="create_savepoint")()
    a, b = build_tenant(dbsession, "Alfa"), build_tenant(dbsession, "Bravo")
    tenant_a = a.pop("tenant")
    users = {role: tenant_a.user(role) for role in ("client", "zone_manager", "agent", "operator",
                                                     "account_manager", "admin")}
    users["other_account_manager"] = b.pop("tenant").account_manager
    a["tokens"] = {role: make_token(dbsession, user) for role, user in users.items()}
    dbsession.commit()
    dbsession.close()
    return {"a": a, "b": b}


@pytest.fixture
def connection(world_connection, world):
    """This module's tests run inside the world's transaction; each one's changes are rolled back."""
    savepoint = world_connection.begin_nested()
    yield world_connection
    if savepoint.is_active:
        savepoint.rollback()


# --- Calling a view and judging the answer -----------------------------------------------------------


_anonymous_session = {}


def anonymous_csrf_token(testapp):
    """An anonymous visitor's session cookie and CSRF token, so that a form posted without a login
    meets the ACL. The cookie is signed, not stored: one serves every call of the session."""
    testapp.reset()
    if not _anonymous_session:
        token = testapp.get("/login").forms[0]["csrf_token"].value
        _anonymous_session.update(cookie=testapp.cookies["portal_session"], token=token)
    testapp.set_cookie("portal_session", _anonymous_session["cookie"])
    return _anonymous_session["token"]


def call(testapp, connection, method, path, route, token, form=None):
    """One request, its changes undone at once so that every call meets the same world."""
    if token:
        headers = {"Authorization": f"Bearer {token}"}
    elif method not in ("GET", "*"):
        headers = {"X-CSRF-Token": anonymous_csrf_token(testapp)}
    else:
        headers = {}
    savepoint = connection.begin_nested()
    try:
        if method in ("GET", "*"):
            return testapp.get(path, headers=headers, expect_errors=True)
        if route == "api":
            return testapp.request(path, method=method, body=b"{}", content_type="application/json",
                                   headers=headers, expect_errors=True)
        return testapp.post(path, form or {}, headers=headers, expect_errors=True)
    finally:
        savepoint.rollback()


def judged(response, route):
    """What the answer means: "allowed" (past the ACL), "to_login", "unauthenticated", "forbidden",
    "not_found" or "error"."""
    status = response.status_int
    if status >= 500:
        return "error"
    if route == "api" and status in (401, 403, 404):
        code = response.json["error"]["code"]
        return {"unauthenticated": "unauthenticated", "forbidden": "forbidden", "not_found": "not_found"}.get(
            code, "allowed")  # a business refusal with its own code comes after the ACL
    if status in (401, 403, 404):
        return {401: "error", 403: "forbidden", 404: "not_found"}[status]
    if status == 302 and route != "api":
        location = urlsplit(response.location)
        if location.path == "/login" and "came_from" in parse_qs(location.query):
            return "to_login"
    return "allowed"


# Views whose holders meet another answer past the ACL, and why.
ALSO_ALLOWED = {
    ("Root", "retry-job", "POST", "page"): {"not_found"},  # no Redis in the tests: no failed job to send back
    ("Root", "retry-outbox", "POST", "page"): {"not_found"},  # the form names no failed mail: none to send
    ("SignInLog", "reset-two-factor", "POST", "page"): {"not_found"},  # the form names no user to reset
}


def expected(role, allowed, row):
    """The answers that fit: the portal refuses with 403 (never 404) whoever the ACL leaves out."""
    if allowed:
        return {"allowed"} | ALSO_ALLOWED.get(row.key, set())
    if role == "anonymous":
        return {"unauthenticated"} if row.route == "api" else {"to_login"}
    return {"forbidden"}


def check_row(testapp, connection, world, row, method, path_of, form_of=lambda tenant: None):
    """Call ``row``'s view as every role on tenant A, and as A's tenant-bound users on tenant B."""
    problems = []
    allowed_roles = holders(row)
    a, b = world["a"], world["b"]

    def check(role, tenant, allowed):
        path = path_of(tenant)
        shown = f"{'GET' if method == '*' else method} {path} as {role}"
        response = call(testapp, connection, method, path, row.route, a["tokens"].get(role), form_of(tenant))
        outcome, wanted = judged(response, row.route), expected(role, allowed, row)
        if outcome not in wanted:
            problems.append(f"{shown}: expected {' or '.join(sorted(wanted))}, got {outcome} ({response.status})")
        forbidden_names = []
        if role in TENANT_BOUND:
            forbidden_names += b["names"]
        if role == "other_account_manager":
            forbidden_names += a["names"]
        if role in ("zone_manager", "agent"):
            forbidden_names += a["beyond_the_zone"]
        if row.permission == "read_feed":
            forbidden_names = []  # the feed's secret URL is its authorisation: whoever holds it reads it
        leaked = [name for name in forbidden_names if name.encode() in response.body]
        if leaked:
            problems.append(f"{shown}: the answer shows {leaked}")

    for role in ROLES:
        check(role, a, role in allowed_roles)
    if row.context != "static" and PLACE[CLASS_BY_NAME[row.context]] not in ("site", "feed") \
            and row.permission != "public":
        for role in TENANT_BOUND:
            check(role, b, False)
    assert not problems, f"{row}\n  " + "\n  ".join(problems)


def context_path(tenant, context):
    return SITE_PATHS.get(context) or tenant["paths"][context]


PAGE_ROWS = [row for row in ROWS.values() if row.route in ("page", "static")]


@pytest.mark.parametrize("row", PAGE_ROWS, ids=lambda row: "-".join(row.key))
def test_page(testapp, connection, world, row):
    if row.route == "static":
        check_row(testapp, connection, world, row, "GET", lambda tenant: STATIC_FILES[row.name])
        return
    context = CLASS_BY_NAME[row.context]
    suffix = "" if row.name == "-" else row.name
    check_row(testapp, connection, world, row, row.method, lambda tenant: context_path(tenant, context) + suffix,
              lambda tenant: tenant["forms"].get((row.context, row.name)))


# --- Every operation of the OpenAPI document --------------------------------------------------------

HTTP_METHODS = ("get", "put", "post", "delete", "patch")


def documented_operations():
    return sorted((method.upper(), path) for path, item in load_document()["paths"].items()
                  for method in item if method in HTTP_METHODS)


def resolve(registry, template):
    """(context class, view name) an OpenAPI path reaches, walking the tree the way traversal does."""
    context = Root
    for segment in template.strip("/").split("/"):
        children = registry.resource_children.get(context, {})
        if segment in children:
            context = children[segment]
        elif segment.startswith("{") and context in ITEM_OF:
            context = ITEM_OF[context]
        else:
            return context, segment  # a view name; what follows is its subpath
    return context, "-"


def operation_row(registry, method, template):
    context, name = resolve(registry, template)
    return ROWS.get((context.__name__, name, method, "api"))


def test_every_api_operation_has_a_row(wsgi_app):
    missing = [f"{method} {path}" for method, path in documented_operations()
               if operation_row(wsgi_app.registry, method, path) is None]
    assert not missing, f"operations of portal/api/openapi.json without an api row in VIEWS: {missing}"


def test_every_api_view_is_reached_by_an_operation(wsgi_app):
    reached = {operation_row(wsgi_app.registry, method, path) for method, path in documented_operations()}
    unreached = [str(row) for row in ROWS.values() if row.route == "api" and row not in reached]
    assert not unreached, f"api views no operation of portal/api/openapi.json reaches (so never called): {unreached}"


def filled(template, placeholders):
    segments = template.strip("/").split("/")
    for index, segment in enumerate(segments):
        if segment.startswith("{"):
            segments[index] = placeholders[segments[index - 1]]
    return "/api/v1/" + "/".join(segments)


@pytest.mark.parametrize("operation", documented_operations(), ids=" ".join)
def test_api_operation(testapp, connection, world, operation):
    method, template = operation
    row = operation_row(testapp.app.registry, method, template)
    assert row is not None, f"{method} {template} has no api row in VIEWS"
    check_row(testapp, connection, world, row, method, lambda tenant: filled(template, tenant["placeholders"]))
