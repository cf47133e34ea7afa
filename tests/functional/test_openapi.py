"""/api/v1/openapi.json is a valid OpenAPI 3.1 document, names every API view, and tells the truth (spec §9)."""
from datetime import timedelta

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from sqlalchemy import select

from agents.resources import AgentContainer, AgentFolder, UserContainer, ZoneContainer, ZoneFolder
from callcenter.reports.dashboard import Dashboard
from callcenter.appointments.models import OUTCOMES
from callcenter.appointments.resources import (AppointmentContainer, AppointmentResource, CallCenter,
                                               CampaignAppointments, CancellationRequestResource)
from callcenter.booking.resources import HoldContainer, HoldResource
from callcenter.reports.resources import ExportResource
from callcenter.lifecycle.recoveries import release_for
from callcenter.appointments.rules import CANCELLATION_REASONS
from campaigns.resources import (CampaignContainer, CampaignFolder, ClientContainer, ClientFolder, FieldContainer,
                                 StepContainer, StepResource)
from campaigns.mail_template_views import MailTemplateContainer, MailTemplateResource
from campaigns.models import Campaign
from portal.api.plumbing import API_ROUTE
from portal.errors import STATUS_BY_CODE
from portal.api.openapi import load_document
from portal.resources import Root
from portal.accounts.signin_views import SignInLog
from tests.conftest import BODY_LIMIT, NOW
from tests.factories import Tenant, make_campaign, make_token, make_user

DOCUMENT_URI = "urn:portal:openapi"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Every API view, (context, view name, request method), and the operation that documents it.
OPERATION_OF_VIEW = {
    (Root, "openapi.json", "GET"): ("get", "/openapi.json"),
    (ClientContainer, "", "GET"): ("get", "/clients"),
    (ClientContainer, "", "POST"): ("post", "/clients"),
    (ClientFolder, "", "GET"): ("get", "/clients/{client}"),
    (ClientFolder, "", "PATCH"): ("patch", "/clients/{client}"),
    (CampaignContainer, "", "GET"): ("get", "/clients/{client}/campaigns"),
    (CampaignContainer, "", "POST"): ("post", "/clients/{client}/campaigns"),
    (CampaignFolder, "", "GET"): ("get", "/clients/{client}/campaigns/{campaign}"),
    (CampaignFolder, "", "PATCH"): ("patch", "/clients/{client}/campaigns/{campaign}"),
    (FieldContainer, "", "GET"): ("get", "/clients/{client}/campaigns/{campaign}/fields"),
    (FieldContainer, "", "POST"): ("post", "/clients/{client}/campaigns/{campaign}/fields"),
    (CampaignFolder, "slots", "GET"): ("get", "/clients/{client}/campaigns/{campaign}/slots"),
    (HoldContainer, "", "POST"): ("post", "/clients/{client}/campaigns/{campaign}/holds"),
    (HoldResource, "", "DELETE"): ("delete", "/clients/{client}/campaigns/{campaign}/holds/{hold}"),
    (StepContainer, "", "GET"): ("get", "/clients/{client}/campaigns/{campaign}/steps"),
    (StepContainer, "", "POST"): ("post", "/clients/{client}/campaigns/{campaign}/steps"),
    (StepResource, "", "GET"): ("get", "/clients/{client}/campaigns/{campaign}/steps/{number}"),
    (StepResource, "", "PATCH"): ("patch", "/clients/{client}/campaigns/{campaign}/steps/{number}"),
    (StepResource, "", "DELETE"): ("delete", "/clients/{client}/campaigns/{campaign}/steps/{number}"),
    (StepResource, "confirm", "POST"): ("post", "/clients/{client}/campaigns/{campaign}/steps/{number}/confirm"),
    (CampaignAppointments, "", "GET"): ("get", "/clients/{client}/campaigns/{campaign}/appointments"),
    (CampaignAppointments, "", "POST"): ("post", "/clients/{client}/campaigns/{campaign}/appointments"),
    (CampaignAppointments, "import", "POST"): ("post", "/clients/{client}/campaigns/{campaign}/appointments/import"),
    (ZoneContainer, "", "GET"): ("get", "/clients/{client}/zones"),
    (ZoneContainer, "", "POST"): ("post", "/clients/{client}/zones"),
    (ZoneFolder, "", "GET"): ("get", "/clients/{client}/zones/{zone}"),
    (ZoneFolder, "appointments", "GET"): ("get", "/clients/{client}/zones/{zone}/appointments"),
    (AgentContainer, "", "GET"): ("get", "/clients/{client}/agents"),
    (AgentContainer, "", "POST"): ("post", "/clients/{client}/agents"),
    (AgentFolder, "", "GET"): ("get", "/clients/{client}/agents/{agent}"),
    (AgentFolder, "", "PATCH"): ("patch", "/clients/{client}/agents/{agent}"),
    (AgentFolder, "appointments", "GET"): ("get", "/clients/{client}/agents/{agent}/appointments"),
    (AgentFolder, "schedule", "GET"): ("get", "/clients/{client}/agents/{agent}/schedule"),
    (AgentFolder, "schedule", "PUT"): ("put", "/clients/{client}/agents/{agent}/schedule"),
    (AgentFolder, "exceptions", "POST"): ("post", "/clients/{client}/agents/{agent}/exceptions"),
    (ClientFolder, "closed-days", "GET"): ("get", "/clients/{client}/closed-days"),
    (ClientFolder, "closed-days", "POST"): ("post", "/clients/{client}/closed-days"),
    (ClientFolder, "closed-days", "DELETE"): ("delete", "/clients/{client}/closed-days/{closed_day}"),
    (AgentFolder, "exceptions", "DELETE"): ("delete", "/clients/{client}/agents/{agent}/exceptions/{exception}"),
    (AppointmentContainer, "", "GET"): ("get", "/clients/{client}/appointments"),
    (AppointmentResource, "", "GET"): ("get", "/clients/{client}/appointments/{number}"),
    (UserContainer, "", "POST"): ("post", "/users"),
    (MailTemplateContainer, "", "GET"): ("get", "/clients/{client}/mail-templates"),
    (MailTemplateResource, "", "GET"): ("get", "/clients/{client}/mail-templates/{kind}"),
    (MailTemplateResource, "", "PUT"): ("put", "/clients/{client}/mail-templates/{kind}"),
    (MailTemplateResource, "", "DELETE"): ("delete", "/clients/{client}/mail-templates/{kind}"),
    (Dashboard, "", "GET"): ("get", "/dashboard"),
    (SignInLog, "", "GET"): ("get", "/sign-ins"),
}
# The same views answer under a campaign (its own templates win over the client's).
CAMPAIGN_TEMPLATE_OPERATIONS = {
    ("get", "/clients/{client}/campaigns/{campaign}/mail-templates"),
    ("get", "/clients/{client}/campaigns/{campaign}/mail-templates/{kind}"),
    ("put", "/clients/{client}/campaigns/{campaign}/mail-templates/{kind}"),
    ("delete", "/clients/{client}/campaigns/{campaign}/mail-templates/{kind}"),
}
# The appointment's life after booking (spec §5 rules 2-6, 11; §9.1).
LIFE_OPERATION_OF_VIEW = {
    (AppointmentResource, "confirm", "POST"): ("post", "/clients/{client}/appointments/{number}/confirm"),
    (AppointmentResource, "postpone", "POST"): ("post", "/clients/{client}/appointments/{number}/postpone"),
    (AppointmentResource, "contacted", "POST"): ("post", "/clients/{client}/appointments/{number}/contacted"),
    (AppointmentResource, "outcome", "POST"): ("post", "/clients/{client}/appointments/{number}/outcome"),
    (AppointmentResource, "confirmation-call", "POST"): (
        "post", "/clients/{client}/appointments/{number}/confirmation-call"),
    (AppointmentResource, "history", "GET"): ("get", "/clients/{client}/appointments/{number}/history"),
    (CancellationRequestResource, "", "GET"): (
        "get", "/clients/{client}/appointments/{number}/cancellation-request"),
    (CancellationRequestResource, "", "POST"): (
        "post", "/clients/{client}/appointments/{number}/cancellation-request"),
    (CancellationRequestResource, "approve", "POST"): (
        "post", "/clients/{client}/appointments/{number}/cancellation-request/approve"),
    (CancellationRequestResource, "reject", "POST"): (
        "post", "/clients/{client}/appointments/{number}/cancellation-request/reject"),
    (ClientFolder, "unavailabilities", "GET"): ("get", "/clients/{client}/unavailabilities"),
    (ClientFolder, "unavailabilities", "POST"): ("post", "/clients/{client}/unavailabilities"),
    (ZoneFolder, "unavailabilities", "GET"): ("get", "/clients/{client}/zones/{zone}/unavailabilities"),
    (ZoneFolder, "unavailabilities", "POST"): ("post", "/clients/{client}/zones/{zone}/unavailabilities"),
    (AgentFolder, "unavailabilities", "GET"): ("get", "/clients/{client}/agents/{agent}/unavailabilities"),
    (AgentFolder, "unavailabilities", "POST"): ("post", "/clients/{client}/agents/{agent}/unavailabilities"),
    (ClientFolder, "changes", "GET"): ("get", "/clients/{client}/changes"),
    (ZoneFolder, "changes", "GET"): ("get", "/clients/{client}/zones/{zone}/changes"),
    (AgentFolder, "changes", "GET"): ("get", "/clients/{client}/agents/{agent}/changes"),
    (CallCenter, "confirmations", "GET"): ("get", "/callcenter/confirmations"),
    (CallCenter, "rescheduling", "GET"): ("get", "/callcenter/rescheduling"),
    (CallCenter, "", "GET"): ("get", "/callcenter"),
    (CallCenter, "recoveries", "GET"): ("get", "/callcenter/recoveries"),
}
OPERATION_OF_VIEW.update(LIFE_OPERATION_OF_VIEW)
# "Totale Appuntamenti", statistics and Excel exports of every folder (spec §4).
FOLDER_PATHS = {ClientFolder: "/clients/{client}", CampaignFolder: "/clients/{client}/campaigns/{campaign}",
                ZoneFolder: "/clients/{client}/zones/{zone}", AgentFolder: "/clients/{client}/agents/{agent}"}
for _folder, _path in FOLDER_PATHS.items():
    OPERATION_OF_VIEW[(_folder, "totals", "GET")] = ("get", _path + "/totals")
    OPERATION_OF_VIEW[(_folder, "statistics", "GET")] = ("get", _path + "/statistics")
    OPERATION_OF_VIEW[(_folder, "export", "POST")] = ("post", _path + "/export")
OPERATION_OF_VIEW[(ExportResource, "", "GET")] = ("get", "/clients/{client}/exports/{export}")
LIFE_OPERATIONS = set(LIFE_OPERATION_OF_VIEW.values())


@pytest.fixture(scope="module")
def document():
    return load_document()


def documented_operations(document):
    return {
        (method, path)
        for path, item in document["paths"].items()
        for method in HTTP_METHODS
        if method in item
    }


def operation(document, method, path):
    return document["paths"][path][method]


def escape(token):
    return token.replace("~", "~0").replace("/", "~1")


def walk(document, tokens):
    node = document
    for token in tokens:
        node = node[token]
    return node


def ref_tokens(ref):
    assert ref.startswith("#/"), ref
    return [part.replace("~1", "/").replace("~0", "~") for part in ref[2:].split("/")]


def follow(document, tokens):
    """(tokens, object) at ``tokens``, through a local ``$ref`` if the object is one."""
    node = walk(document, tokens)
    if "$ref" in node:
        tokens = ref_tokens(node["$ref"])
        node = walk(document, tokens)
    return tokens, node


def schema_validator(document, tokens):
    """A Draft 2020-12 validator for the schema at ``tokens``, its ``$ref``s resolved in the document."""
    registry = Registry().with_resource(DOCUMENT_URI, DRAFT202012.create_resource(document))
    pointer = "".join("/" + escape(token) for token in tokens)
    return Draft202012Validator({"$ref": f"{DOCUMENT_URI}#{pointer}"}, registry=registry,
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def response_validator(document, method, path, status):
    responses = operation(document, method, path)["responses"]
    assert str(status) in responses, f"{method.upper()} {path} answers {status}, which is not documented"
    tokens, response = follow(document, ["paths", path, method, "responses", str(status)])
    assert "application/json" in response.get("content", {}), f"{method.upper()} {path} {status} has no JSON"
    return schema_validator(document, tokens + ["content", "application/json", "schema"])


def request_validator(document, method, path):
    assert "requestBody" in operation(document, method, path), f"{method.upper()} {path} documents no body"
    tokens, body = follow(document, ["paths", path, method, "requestBody"])
    return schema_validator(document, tokens + ["content", "application/json", "schema"])


def documented_parameters(document, method, path):
    item = document["paths"][path]
    names = set()
    for parameter in item.get("parameters", []) + operation(document, method, path).get("parameters", []):
        if "$ref" in parameter:
            parameter = walk(document, ref_tokens(parameter["$ref"]))
        names.add((parameter["in"], parameter["name"]))
    return names


class DocumentedApi:
    """Calls the app by operation (method + documented path) and holds each answer to the document."""

    def __init__(self, testapp, document):
        self.testapp = testapp
        self.document = document
        self.answered = set()  # operations that answered their documented success
        self.statuses = set()  # (method, path, status) of every answer

    def call(self, method, path, secret=None, status=200, body=None, headers=None, **values):
        params = values.pop("params", {})
        url = "/api/v1" + path.format(**values)
        item = self.document["paths"][path]
        in_path = {name for where, name in documented_parameters(self.document, method, path) if where == "path"}
        assert in_path == set(values), f"{path}: path parameters {in_path} documented, {set(values)} given"
        in_query = {name for where, name in documented_parameters(self.document, method, path) if where == "query"}
        assert set(params) <= in_query, f"{method.upper()} {path}: undocumented query {set(params) - in_query}"
        headers = dict(headers or {})
        if secret is not None:
            headers["Authorization"] = f"Bearer {secret}"
        if method == "get":
            response = self.testapp.get(url, params=params, headers=headers, status=status)
        elif method == "delete":
            assert body is None, "DELETE takes no body"
            response = self.testapp.delete(url, headers=headers, status=status)
        else:
            assert method in item
            if body is not None and status < 300:
                request_validator(self.document, method, path).validate(body)
            send = getattr(self.testapp, f"{method}_json")
            response = send(url, body if body is not None else {}, headers=headers, status=status)
        if response.status_int == 204:
            documented = operation(self.document, method, path)["responses"]
            assert "204" in documented and "content" not in documented["204"], f"{method.upper()} {path} 204"
            assert response.body == b""
        else:
            assert response.content_type == "application/json"
            response_validator(self.document, method, path, response.status_int).validate(response.json)
        if status < 300:
            self.answered.add((method, path))
        self.statuses.add((method, path, str(response.status_int)))
        return response


# --- (a) the document is valid ---------------------------------------------------------------------


def test_the_document_is_a_valid_openapi_3_1_document(document):
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_the_served_document_is_the_file_with_its_server_and_is_valid(testapp, document):
    served = testapp.get("/api/v1/openapi.json").json
    validate(served)
    assert served["servers"] == [{"url": "http://localhost/api/v1"}]
    assert {key: value for key, value in served.items() if key != "servers"} == {
        key: value for key, value in document.items() if key != "servers"}


def test_the_error_schema_names_every_error_code(document):
    codes = document["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"]
    assert sorted(codes) == sorted(STATUS_BY_CODE)


def test_every_operation_but_the_document_itself_needs_credentials_and_says_401(document):
    for method, path in documented_operations(document):
        op = operation(document, method, path)
        if path == "/openapi.json":
            assert op["security"] == []
        else:
            assert "security" not in op  # the document's default: bearer or cookie
            assert {"401", "403"} <= set(op["responses"]), (method, path)


# --- (b) every API view is documented, every documented operation has a view ---------------------


def api_views(registry):
    """(context, view name, method) of every view on the API route, exception views aside."""
    views = set()
    for entry in registry.introspector.get_category("views"):
        view = entry["introspectable"]
        if view["route_name"] != API_ROUTE or view["exception_only"]:
            continue
        methods = view["request_methods"]
        if methods is None:
            methods = ("ANY",)  # a view for any method documents nothing precise: the table refuses it
        elif isinstance(methods, str):
            methods = (methods,)
        for method in methods:
            if method == "HEAD":
                continue  # Pyramid answers HEAD wherever it answers GET
            views.add((view["context"], view["name"], method))
    return views


def describe(view):
    context, name, method = view
    return f"{method} view {name!r} on {getattr(context, '__name__', context)}"


def test_every_api_view_is_in_the_table_and_documented(app, document):
    views = api_views(app.registry)
    assert views, "no API view found: the introspection is broken"
    missing_from_table = sorted(describe(view) for view in views if view not in OPERATION_OF_VIEW)
    assert not missing_from_table, f"API views missing from OPERATION_OF_VIEW: {missing_from_table}"
    undocumented = sorted(
        f"{describe(view)} -> {OPERATION_OF_VIEW[view]}" for view in views
        if OPERATION_OF_VIEW[view] not in documented_operations(document)
    )
    assert not undocumented, f"API views missing from openapi.json: {undocumented}"


def test_every_documented_operation_has_a_view(app, document):
    views = api_views(app.registry)
    stale = sorted(describe(view) for view in OPERATION_OF_VIEW if view not in views)
    assert not stale, f"OPERATION_OF_VIEW names views that do not exist: {stale}"
    implemented = {OPERATION_OF_VIEW[view] for view in views} | CAMPAIGN_TEMPLATE_OPERATIONS
    phantom = sorted(documented_operations(document) - implemented)
    assert not phantom, f"documented operations without a view: {phantom}"


# --- (c) the answers are what the document says --------------------------------------------------


def test_every_documented_operation_answers_as_documented(testapp, tenant, dbsession, document, clock):
    """One walk through the whole API, each request and each answer held to the document."""
    api = DocumentedApi(testapp, document)
    admin = make_token(dbsession, tenant.admin)
    operator = make_token(dbsession, tenant.operator)
    client = {"client": "acme"}
    campaign = {**client, "campaign": "winter"}

    api.call("get", "/openapi.json")
    api.call("post", "/clients", admin, 201, {"slug": "acme", "name": "Acme", "timezone": "Europe/Rome",
                                              "country": "IT", "account_manager": tenant.account_manager.email})
    api.call("get", "/clients", admin)
    api.call("get", "/clients/{client}", admin, **client)
    renamed = api.call("patch", "/clients/{client}", admin, body={"name": "Acme Italia", "timezone": "Europe/Rome",
                                                                  "country": "IT", "account_manager": None}, **client)
    assert renamed.json["name"] == "Acme Italia"
    api.call("patch", "/clients/{client}", admin, body={"account_manager": tenant.account_manager.email}, **client)

    api.call("post", "/clients/{client}/zones", admin, 201,
             {"slug": "milano", "name": "Milano", "provinces": ["MI"], "postal_codes": ["20121"]}, **client)
    api.call("get", "/clients/{client}/zones", admin, **client)
    api.call("get", "/clients/{client}/zones/{zone}", admin, zone="milano", **client)
    api.call("post", "/clients/{client}/agents", admin, 201,
             {"slug": "rossi", "name": "Mario Rossi", "email": "rossi@example.test", "phone": "+39 333 1234567",
              "zones": ["milano"], "schedule": [{"weekday": 0, "start": "09:00", "end": "13:00"}]}, **client)
    api.call("get", "/clients/{client}/agents", admin, **client)
    api.call("get", "/clients/{client}/agents/{agent}", admin, agent="rossi", **client)
    edited = api.call("patch", "/clients/{client}/agents/{agent}", admin, agent="rossi", **client,
                      body={"name": "Mario Rossi", "email": "", "phone": "+39 333 7654321", "zones": ["milano"]}).json
    assert (edited["slug"], edited["email"], edited["zones"]) == ("rossi", "", ["milano"])
    agent = {**client, "agent": "rossi"}
    # Mondays and Thursdays 09:00-13:00, a Saturday morning opening, a Monday afternoon off, a closed day.
    week = [{"weekday": 0, "start": "09:00", "end": "13:00"}, {"weekday": 3, "start": "09:00", "end": "13:00"}]
    assert api.call("put", "/clients/{client}/agents/{agent}/schedule", admin, body={"schedule": week},
                    **agent).json["schedule"] == week
    api.call("post", "/clients/{client}/agents/{agent}/exceptions", admin, 201,
             {"day": "2026-11-28", "kind": "opening", "start": "09:00", "end": "12:00", "reason": "Fair"}, **agent)
    api.call("post", "/clients/{client}/agents/{agent}/exceptions", admin, 201,
             {"day": "2026-11-30", "kind": "closure", "start": "11:00", "end": "13:00", "reason": "Dentist"},
             **agent)
    schedule = api.call("get", "/clients/{client}/agents/{agent}/schedule", admin, **agent).json
    assert [exception["day"] for exception in schedule["exceptions"]] == ["2026-11-28", "2026-11-30"]
    api.call("post", "/clients/{client}/closed-days", admin, 201,
             {"day": "2026-12-03", "zone": "milano", "agent": None, "reason": "Patron saint"}, **client)
    api.call("post", "/clients/{client}/closed-days", admin, 201, {"day": "2026-12-24"}, **client)
    closed = api.call("get", "/clients/{client}/closed-days", admin, **client).json["items"]
    assert [(day["day"], day["zone"]) for day in closed] == [("2026-12-03", "milano"), ("2026-12-24", None)]
    # Entered by mistake, then removed.
    wrong = api.call("post", "/clients/{client}/closed-days", admin, 201, {"day": "2026-12-09"}, **client).json
    api.call("delete", "/clients/{client}/closed-days/{closed_day}", admin, 204, closed_day=wrong["id"], **client)
    slip = api.call("post", "/clients/{client}/agents/{agent}/exceptions", admin, 201,
                    {"day": "2026-12-10", "kind": "closure", "reason": "Typo"}, **agent).json
    api.call("delete", "/clients/{client}/agents/{agent}/exceptions/{exception}", admin, 204, exception=slip["id"],
             **agent)
    assert len(api.call("get", "/clients/{client}/closed-days", admin, **client).json["items"]) == 2

    api.call("post", "/clients/{client}/campaigns", admin, 201,
             {"slug": "winter", "name": "Winter", "appointment_minutes": 45, "buffer_minutes": 15,
              "cutoff_hours": 36}, **client)
    api.call("get", "/clients/{client}/campaigns", admin, **client)
    api.call("get", "/clients/{client}/campaigns/{campaign}", admin, **campaign)
    assert "winter" not in [item["slug"] for item in api.call("get", "/callcenter", operator).json["items"]]
    api.call("post", "/clients/{client}/campaigns/{campaign}/steps", admin, 201,
             {"quantity": 2, "valid_from": "2026-11-01", "valid_to": "2027-06-30", "description": "First"}, **campaign)
    api.call("get", "/clients/{client}/campaigns/{campaign}/steps", admin, **campaign)
    api.call("get", "/clients/{client}/campaigns/{campaign}/steps/{number}", admin, number=1, **campaign)
    api.call("patch", "/clients/{client}/campaigns/{campaign}/steps/{number}", admin, body={"description": "Signed"},
             number=1, **campaign)
    api.call("post", "/clients/{client}/campaigns/{campaign}/steps/{number}/confirm", admin, number=1, **campaign)
    api.call("post", "/clients/{client}/campaigns/{campaign}/steps", admin, 201, {"quantity": 1}, **campaign)
    api.call("delete", "/clients/{client}/campaigns/{campaign}/steps/{number}", admin, 204, number=2, **campaign)
    assert "winter" in [item["slug"] for item in api.call("get", "/callcenter", operator).json["items"]]
    settings = api.call("patch", "/clients/{client}/campaigns/{campaign}", admin,
                        body={"hold_minutes": 10, "cutoff_hours": 36}, **campaign).json
    assert (settings["hold_minutes"], settings["appointment_minutes"]) == (10, 45)
    paced = api.call("patch", "/clients/{client}/campaigns/{campaign}", admin,
                     body={"alert_thresholds": [75, 90, 100], "recoveries_per_day": 3}, **campaign).json
    assert (paced["alert_thresholds"], paced["recoveries_per_day"]) == ([75, 90, 100], 3)
    api.call("post", "/clients/{client}/campaigns/{campaign}/fields", admin, 201,
             {"name": "budget", "label": "Budget", "kind": "number", "required": True,
              "help_text": "Euros a month", "choices": []}, **campaign)
    api.call("post", "/clients/{client}/campaigns/{campaign}/fields", admin, 201,
             {"name": "heating", "label": "Heating", "kind": "choice", "choices": ["gas", "heat pump"]}, **campaign)
    fields = api.call("get", "/clients/{client}/campaigns/{campaign}/fields", operator, **campaign).json["items"]
    assert [field["name"] for field in fields] == ["budget", "heating"]

    # Mail templates (spec §8): the client's own agenda, the campaign's own reminder, both reset.
    kinds = api.call("get", "/clients/{client}/mail-templates", admin, **client).json["items"]
    assert [(kind["kind"], kind["source"]) for kind in kinds] == [
        ("quota_alert", "default"), ("agenda", "default"), ("reminder", "default"),
        ("cancellation_requested", "default"), ("cancellation_decided", "default")]
    own = {"it": {"subject": "Agenda di {{ day }}", "body": "{{ agent }}: {{ count }} appuntamenti"},
           "en": {"subject": "Agenda of {{ day }}", "body": "{{ agent }}: {{ count }} appointments"}}
    saved = api.call("put", "/clients/{client}/mail-templates/{kind}", admin, body=own, kind="agenda", **client).json
    assert (saved["source"], saved["it"]) == ("client", own["it"])
    refused = api.call("put", "/clients/{client}/mail-templates/{kind}", admin, 422,
                       {"it": own["it"], "en": {"subject": "{{ nobody }}", "body": ""}}, kind="agenda", **client)
    assert (refused.json["error"]["code"], refused.json["error"]["field"]) == ("template_invalid", "en.subject")
    assert api.call("get", "/clients/{client}/mail-templates/{kind}", admin, kind="agenda",
                    **client).json["en"] == own["en"]
    reminder = {"it": {"subject": "Tra {{ hours }} ore", "body": "{{ appointment.prospect }}"},
                "en": {"subject": "In {{ hours }} hours", "body": "{{ appointment.prospect }}"}}
    assert api.call("put", "/clients/{client}/campaigns/{campaign}/mail-templates/{kind}", admin, body=reminder,
                    kind="reminder", **campaign).json["source"] == "campaign"
    in_campaign = api.call("get", "/clients/{client}/campaigns/{campaign}/mail-templates", admin, **campaign).json
    assert [kind["source"] for kind in in_campaign["items"]][:3] == ["default", "client", "campaign"]
    assert api.call("get", "/clients/{client}/campaigns/{campaign}/mail-templates/{kind}", admin, kind="agenda",
                    **campaign).json["source"] == "client"
    assert api.call("delete", "/clients/{client}/campaigns/{campaign}/mail-templates/{kind}", admin,
                    kind="reminder", **campaign).json["source"] == "default"
    assert api.call("delete", "/clients/{client}/mail-templates/{kind}", admin, kind="agenda",
                    **client).json["source"] == "default"
    assert api.call("patch", "/clients/{client}/campaigns/{campaign}", admin, body={"reminder_hours": 24},
                    **campaign).json["reminder_hours"] == 24

    # Week 48: Thursday 26 from 09:00 (Monday 23 is within the 36 hours), the Saturday opening; Monday 30
    # is week 49.
    week = api.call("get", "/clients/{client}/campaigns/{campaign}/slots", operator,
                    params={"postal_code": "20121", "week": "2026-W48"}, **campaign).json
    starts = [slot["start"] for slot in week["slots"]]
    assert (week["zone"], starts[0], week["held"]) == ("milano", "2026-11-26T09:00:00+01:00", [])
    assert "2026-11-28T11:00:00+01:00" in starts
    api.call("get", "/clients/{client}/campaigns/{campaign}/slots", operator,
             params={"province": "MI", "zone": "milano"}, **campaign)
    slot = {"agent": "rossi", "start": "2026-11-26T10:00:00+01:00"}
    hold = api.call("post", "/clients/{client}/campaigns/{campaign}/holds", operator, 201, slot, **campaign).json
    assert hold["expires_at"] == "2026-11-23T09:10:00+01:00"
    booking = {**slot, "hold": hold["id"], "out_of_schedule": False, "notes": "Ring twice",
               "fields": {"budget": 1200, "heating": "gas"},
               "prospect": {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121",
                            "province": "MI"}}
    booked = api.call("post", "/clients/{client}/campaigns/{campaign}/appointments", operator, 201, booking,
                      **campaign).json
    assert booked["fields"] == {"budget": 1200, "heating": "gas"}
    other = api.call("post", "/clients/{client}/campaigns/{campaign}/holds", operator, 201,
                     {"agent": "rossi", "start": "2026-11-26T12:00:00+01:00"}, **campaign).json
    api.call("delete", "/clients/{client}/campaigns/{campaign}/holds/{hold}", operator, 204, hold=other["id"],
             **campaign)
    filters = {"upcoming": "1", "state": "to_confirm", "from": "2026-11-01", "to": "2026-11-30", "agent": "rossi",
               "zone": "milano", "campaign": "winter", "q": "bar", "page": "1", "per_page": "10"}
    for path, values in [
        ("/clients/{client}/campaigns/{campaign}/appointments", campaign),
        ("/clients/{client}/appointments", client),
        ("/clients/{client}/zones/{zone}/appointments", {**client, "zone": "milano"}),
        ("/clients/{client}/agents/{agent}/appointments", {**client, "agent": "rossi"}),
    ]:
        page = api.call("get", path, operator, params=filters, **values)
        assert [item["number"] for item in page.json["items"]] == [1]
    api.call("get", "/clients/{client}/appointments/{number}", operator, number=1, **client)

    # The appointment's life: the call the day before, confirmation, postponement, contact, outcome.
    appointment = {**client, "number": 1}
    life = "/clients/{client}/appointments/{number}"
    clock.now = NOW + timedelta(days=2)  # Wednesday 25: tomorrow is the meeting's day
    worklist = api.call("get", "/callcenter/confirmations", operator).json["items"]
    assert [(item["client"], item["number"], item["call"]["attempts"]) for item in worklist] == [("acme", 1, 0)]
    api.call("post", life + "/confirmation-call", operator, body={"result": "not_reached", "notes": "Busy"},
             **appointment)
    call = api.call("get", "/callcenter/confirmations", operator).json["items"][0]["call"]
    assert (call["state"], call["attempts"], call["notes"]) == ("not_reached", 1, "Busy")
    called = api.call("post", life + "/confirmation-call", operator,
                      body={"result": "postponed", "start": "2026-11-26T11:00:00+01:00", "notes": "Later"},
                      **appointment).json
    assert (called["start"], called["state"]) == ("2026-11-26T11:00:00+01:00", "to_confirm")
    confirmed = api.call("post", life + "/confirm", operator, body={}, **appointment).json
    assert (confirmed["state"], confirmed["confirmed_at"]) == ("confirmed", "2026-11-25T09:00:00+01:00")
    assert api.call("get", "/callcenter/confirmations", operator).json["items"] == []
    api.call("post", life + "/postpone", operator, body={"start": "2026-11-26T12:00:00+01:00", "agent": "rossi"},
             **appointment)
    assert api.call("post", life + "/contacted", admin, body={}, **appointment).json["contacted_at"] == \
        "2026-11-25T09:00:00+01:00"
    clock.now = NOW + timedelta(days=3, hours=5)  # Thursday 26, 14:00: after the meeting
    held = api.call("post", life + "/outcome", operator, body={"outcome": "held", "notes": "Signed"},
                    **appointment).json
    assert (held["outcome"], held["outcome_notes"]) == ("held", "Signed")

    # A cancellation request rejected, another approved; the recovery booked.
    request = life + "/cancellation-request"
    asked = api.call("post", request, admin, 201, {"reason": "wrong_target", "notes": "Not the owner"},
                     **appointment).json
    assert (asked["state"], asked["decided_at"]) == ("pending", None)
    assert api.call("get", request, operator, **appointment).json == asked
    assert api.call("post", request + "/reject", admin, body={"notes": "Held anyway"},
                    **appointment).json["state"] == "rejected"
    api.call("post", request, admin, 201, {"reason": "duplicate"}, **appointment)
    assert api.call("post", request + "/approve", admin, body={"notes": "Same prospect as #0"},
                    **appointment).json["state"] == "approved"
    cancelled = api.call("get", life, operator, **appointment).json
    assert (cancelled["state"], cancelled["cancel_reason"]) == ("cancelled", "duplicate")
    winter = dbsession.execute(select(Campaign).where(Campaign.slug == "winter")).scalar_one()
    release_for(dbsession, winter, clock.now)  # what the release task does at the end of the step
    dbsession.flush()
    released = api.call("get", "/callcenter/recoveries", operator).json["items"]
    assert [(item["client"], item["campaign"], item["cancelled_appointment"]) for item in released] == [
        ("acme", "winter", 1)]
    recovery = api.call("post", "/clients/{client}/campaigns/{campaign}/appointments", operator, 201,
                        {"agent": "rossi", "start": "2026-11-30T09:00:00+01:00", "recovers": 1,
                         "fields": {"budget": 900},
                         "prospect": {"name": "Bar Sport", "phone": "+39 02 7654321", "postal_code": "20121"}},
                        **campaign).json
    assert api.call("get", "/clients/{client}/campaigns/{campaign}", admin, **campaign).json["recovered"] == 1
    history = api.call("get", life + "/history", operator, **appointment).json["items"]
    assert [change["action"] for change in history] == [
        "approved", "cancelled", "requested", "rejected", "requested", "outcome", "contacted", "postponed",
        "confirmed", "postponed", "booked"]

    # Unavailabilities of the client, a zone and an agent; the one at short notice catches the recovery.
    api.call("post", "/clients/{client}/unavailabilities", admin, 201,
             {"start": "2026-12-24T00:00:00+01:00", "end": "2026-12-27T00:00:00+01:00", "reason": "Christmas"},
             **client)
    api.call("post", "/clients/{client}/zones/{zone}/unavailabilities", admin, 201,
             {"start": "2026-12-14T09:00:00+01:00", "end": "2026-12-14T13:00:00+01:00"}, zone="milano", **client)
    api.call("post", "/clients/{client}/agents/{agent}/unavailabilities", admin, 201,
             {"start": "2026-11-30T09:00:00+01:00", "end": "2026-11-30T11:00:00+01:00", "reason": "Car service",
              "override": "Told us on the phone"}, **agent)
    for path, values, expected in [
        ("/clients/{client}/unavailabilities", client, 3),
        ("/clients/{client}/zones/{zone}/unavailabilities", {**client, "zone": "milano"}, 1),
        ("/clients/{client}/agents/{agent}/unavailabilities", agent, 1),
    ]:
        assert len(api.call("get", path, operator, **values).json["items"]) == expected, path
    flagged = api.call("get", "/callcenter/rescheduling", operator).json["items"]
    assert [(item["number"], item["needs_rescheduling"]) for item in flagged] == [(recovery["number"], True)]
    api.call("post", life + "/postpone", operator, body={"start": "2026-12-10T10:00:00+01:00"},
             client="acme", number=recovery["number"])
    assert api.call("get", "/callcenter/rescheduling", operator).json["items"] == []
    for path, values in [("/clients/{client}/changes", client),
                         ("/clients/{client}/zones/{zone}/changes", {**client, "zone": "milano"}),
                         ("/clients/{client}/agents/{agent}/changes", agent)]:
        assert api.call("get", path, operator, **values).json["items"][0]["action"] == "postponed", path

    api.call("post", "/users", admin, 201, {"email": "anna@example.test", "password": "long enough pw",
                                            "role": "client", "name": "Anna", "client": "acme"})
    board = api.call("get", "/dashboard", admin, params={"sort": "-taken"}).json
    winter_row = next(row for row in board["items"] if (row["client"], row["campaign"]) == ("acme", "winter"))
    assert (winter_row["purchased"], winter_row["recovered"], winter_row["bookings_today"]) == (2, 1, 0)
    api.call("get", "/dashboard", admin, 400, params={"sort": "password"})
    # The sign-in audit (README "Signing in safely"): admins only; a wrong token is recorded.
    api.call("get", "/sign-ins", "qp_wrong", 401)
    audit = api.call("get", "/sign-ins", admin, params={"event": "token_refused", "from": "2026-11-01"}).json
    assert [item["event"] for item in audit["items"]] == ["token_refused"]
    api.call("get", "/sign-ins", admin, 400, params={"event": "nope"})
    api.call("get", "/sign-ins", operator, 403)

    # The reports of every folder: one cancelled (approved) appointment and its recovery, booked.
    report_filters = {"state": "cancelled", "from": "2026-11-01", "to": "2026-12-31", "agent": "rossi",
                      "zone": "milano", "campaign": "winter", "q": "bar"}
    for path, values in [("/clients/{client}", client), ("/clients/{client}/campaigns/{campaign}", campaign),
                         ("/clients/{client}/zones/{zone}", {**client, "zone": "milano"}),
                         ("/clients/{client}/agents/{agent}", agent)]:
        totals = api.call("get", path + "/totals", operator, **values).json
        assert (totals["total"], totals["cancelled"], totals["recovered"]) == (2, 1, 1), path
        assert api.call("get", path + "/totals", operator, params=report_filters, **values).json["total"] == 1
        assert api.call("get", path + "/totals", operator, status=400, params={"from": "2026-12-31",
                                                                               "to": "2026-12-01"}, **values)
        statistics = api.call("get", path + "/statistics", admin, params={"from": "2026-11-01"}, **values).json
        assert (statistics["overall"]["booked"], statistics["overall"]["held"]) == (2, 1), path
        export = api.call("post", path + "/export", admin, 201, {"from": "2026-11-01", "state": "cancelled"},
                          **values).json
        assert export["state"] == "queued"
    # With no Redis the export ran right after its request committed.
    finished = api.call("get", "/clients/{client}/exports/{export}", admin, client="acme", export=export["id"]).json
    assert (finished["state"], finished["percent"], finished["rows_total"]) == ("done", 100, 1)
    api.call("get", "/clients/{client}/exports/{export}", operator, 403, client="acme", export=export["id"])

    # The client's history from its previous system (rule 15): a cancelled row takes no place.
    imported = api.call("post", "/clients/{client}/campaigns/{campaign}/appointments/import", admin, 201,
                        {"rows": [{"agent": "rossi", "start": "2026-03-02T10:00:00+01:00", "state": "cancelled",
                                   "notes": "From the old system", "fields": {"budget": 500},
                                   "prospect": {"name": "Bar Roma", "phone": "+39 02 5550000",
                                                "postal_code": "20121"}}]}, **campaign).json
    assert (imported["imported"], imported["appointments"][0]["state"]) == (1, "cancelled")

    assert api.answered == documented_operations(document), "operations not called: " + str(
        sorted(documented_operations(document) - api.answered))


def test_error_answers_are_documented_and_have_the_error_shape(testapp, tenant, dbsession, document):
    api = DocumentedApi(testapp, document)
    admin = make_token(dbsession, tenant.admin)
    operator = make_token(dbsession, tenant.operator)
    own = {"client": tenant.client.slug}
    campaign = {**own, "campaign": tenant.campaign.slug}
    booking = {"agent": tenant.agent.slug, "start": "2026-11-26T10:00:00+01:00",
               "prospect": {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}}
    book = "/clients/{client}/campaigns/{campaign}/appointments"

    def code(response):
        return response.json["error"]["code"]

    assert code(api.call("get", "/clients", status=401)) == "unauthenticated"
    assert code(api.call("get", "/clients/{client}", "qp_wrong", 401, **own)) == "unauthenticated"
    assert code(api.call("get", "/clients", make_token(dbsession, tenant.client_user), 403)) == "forbidden"
    assert code(api.call("get", "/clients/{client}", admin, 404, client="atlantis")) == "not_found"
    assert code(api.call("post", "/clients", admin, 400, {"slug": "acme", "name": "Acme", "vat": 1})) == \
        "validation_error"
    assert code(api.call("post", "/clients", admin, 409, {"slug": tenant.client.slug, "name": "Again"})) == "conflict"
    assert code(api.call("patch", "/clients/{client}", make_token(dbsession, tenant.account_manager), 403,
                         {"account_manager": None}, **own)) == "forbidden"
    assert code(api.call("patch", "/clients/{client}", admin, 400, {"timezone": "Mars/Base"}, **own)) == \
        "validation_error"
    assert code(api.call("patch", "/clients/{client}/agents/{agent}", admin, 400, {"zones": ["atlantis"]},
                         agent=tenant.agent.slug, **own)) == "validation_error"
    assert code(api.call("patch", "/clients/{client}/agents/{agent}", operator, 403, {"name": "X"},
                         agent=tenant.agent.slug, **own)) == "forbidden"
    assert code(api.call("post", "/clients/{client}/campaigns/{campaign}/steps/{number}/confirm", admin, 409,
                         number=1, **campaign)) == "conflict"
    assert code(api.call("get", "/clients/{client}/appointments", admin, 400, params={"state": "bogus"},
                         **own)) == "validation_error"
    assert code(api.call("post", "/users", make_token(dbsession, tenant.account_manager), 403,
                         {"email": "op@example.test", "password": "long enough pw", "role": "operator"})) == \
        "forbidden"
    assert code(api.call("post", book, operator, 422, {**booking, "start": "2026-11-23T12:00:00+01:00"},
                         **campaign)) == "insertion_cutoff"
    api.call("post", book, operator, 201, booking, **campaign)
    assert code(api.call("post", book, operator, 409, booking, **campaign)) == "slot_taken"
    empty = make_campaign(dbsession, tenant.client, purchased=0)
    assert code(api.call("post", book, operator, 409, booking, client=tenant.client.slug,
                         campaign=empty.slug)) == "quota_exhausted"


def test_booking_engine_error_answers_are_documented(testapp, tenant, dbsession, document, clock):
    api = DocumentedApi(testapp, document)
    manager = make_token(dbsession, tenant.account_manager)
    operator = make_token(dbsession, tenant.operator)
    rival = make_token(dbsession, make_user(dbsession, "operator"))
    own = {"client": tenant.client.slug}
    campaign = {**own, "campaign": tenant.campaign.slug}
    agent = {**own, "agent": tenant.agent.slug}
    slots, holds = "/clients/{client}/campaigns/{campaign}/slots", "/clients/{client}/campaigns/{campaign}/holds"
    book = "/clients/{client}/campaigns/{campaign}/appointments"
    slot = {"agent": tenant.agent.slug, "start": "2026-11-26T10:00:00+01:00"}
    prospect = {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}

    def code(response):
        return response.json["error"]["code"]

    assert code(api.call("get", slots, operator, 400, params={"postal_code": "20121", "week": "2026-W60"},
                         **campaign)) == "validation_error"
    assert code(api.call("get", slots, make_token(dbsession, tenant.client_user), 403,
                         params={"postal_code": "20121"}, **campaign)) == "forbidden"
    assert code(api.call("post", holds, operator, 422, {**slot, "start": "2026-11-28T10:00:00+01:00"},
                         **campaign)) == "outside_schedule"
    hold = api.call("post", holds, operator, 201, slot, **campaign).json
    assert code(api.call("post", holds, rival, 409, slot, **campaign)) == "slot_held"
    assert code(api.call("delete", holds + "/{hold}", rival, 403, hold=hold["id"], **campaign)) == "forbidden"
    assert code(api.call("delete", holds + "/{hold}", operator, 404, hold=hold["id"] + 1000, **campaign)) == \
        "not_found"
    assert code(api.call("post", book, operator, 403, {**slot, "out_of_schedule": True, "prospect": prospect},
                         **campaign)) == "forbidden"
    assert code(api.call("post", book, operator, 400, {**slot, "prospect": prospect, "fields": {"colour": "red"}},
                         **campaign)) == "validation_error"
    clock.now += timedelta(minutes=6)
    assert code(api.call("post", book, operator, 409, {**slot, "hold": hold["id"], "prospect": prospect},
                         **campaign)) == "hold_expired"
    assert code(api.call("patch", "/clients/{client}/campaigns/{campaign}", manager, 400,
                         {"hold_minutes": 0}, **campaign)) == "validation_error"
    assert code(api.call("patch", "/clients/{client}/campaigns/{campaign}", operator, 403,
                         {"hold_minutes": 10}, **campaign)) == "forbidden"
    field = {"name": "budget", "label": "Budget", "kind": "number"}
    api.call("post", "/clients/{client}/campaigns/{campaign}/fields", manager, 201, field, **campaign)
    assert code(api.call("post", "/clients/{client}/campaigns/{campaign}/fields", manager, 409, field,
                         **campaign)) == "conflict"
    assert code(api.call("put", "/clients/{client}/agents/{agent}/schedule", manager, 400,
                         {"schedule": [{"weekday": 0, "start": "13:00", "end": "09:00"}]}, **agent)) == \
        "validation_error"
    assert code(api.call("post", "/clients/{client}/agents/{agent}/exceptions", manager, 400,
                         {"day": "2026-11-28", "kind": "opening"}, **agent)) == "validation_error"
    assert code(api.call("post", "/clients/{client}/closed-days", manager, 400, {"day": "2026-12-24", "zone": "mars"},
                         **own)) == "validation_error"


def test_the_documented_request_schemas_refuse_what_the_server_refuses(document):
    """additionalProperties: false where the server refuses unknown fields, and the types it insists on."""
    cases = {
        ("post", "/clients"): [{"slug": "acme", "name": "Acme", "vat": "IT1"}, {"name": "Acme"}],
        ("post", "/clients/{client}/campaigns/{campaign}/steps"): [{"quantity": "3"}, {"quantity": 3.5},
                                                                   {"quantity": True}, {"quantity": 3, "price": 1}],
        ("post", "/clients/{client}/agents"): [
            {"slug": "rossi", "name": "Rossi", "schedule": [{"weekday": 0, "start": "09:00", "end": "13:00", "x": 1}]}],
        ("post", "/clients/{client}/campaigns/{campaign}/appointments"): [
            {"agent": "rossi", "start": "2026-11-26T10:00:00+01:00", "colour": "red",
             "prospect": {"name": "Bar", "phone": "+39 02 1234567", "postal_code": "20121"}},
            {"agent": "rossi", "start": "2026-11-26T10:00:00",
             "prospect": {"name": "Bar", "phone": "+39 02 1234567", "postal_code": "20121"}},
            {"agent": "rossi", "start": "2026-11-26T10:00:00+01:00",
             "prospect": {"name": "Bar", "phone": "+39 02 1234567", "postal_code": "20121", "email": "x@y.it"}},
        ],
        ("post", "/users"): [{"email": "a@example.test", "password": "long enough pw", "role": "superuser"}],
        ("patch", "/clients/{client}/campaigns/{campaign}/steps/{number}"): [{"quantity": 0}, {"quantity": "3"},
                                                                            {"state": "confirmed"}],
        ("patch", "/clients/{client}/campaigns/{campaign}"): [{"hold_minutes": 0}, {"hold_minutes": "5"},
                                                              {"purchased": 100}, {"slug": "renamed"},
                                                              {"alert_thresholds": []}, {"alert_thresholds": [0]},
                                                              {"alert_thresholds": [80, 80]},
                                                              {"recoveries_per_day": 0}],
        ("patch", "/clients/{client}"): [{"slug": "renamed"}, {"name": ""}, {"country": "it"},
                                         {"account_manager": 3}],
        ("patch", "/clients/{client}/agents/{agent}"): [{"slug": "renamed"}, {"name": ""}, {"zones": "milano"},
                                                        {"active": False}, {"phone": "1" * 41}],
        ("post", "/clients/{client}/campaigns/{campaign}/fields"): [
            {"name": "budget", "label": "Budget", "kind": "money"}, {"name": "Budget", "label": "B", "kind": "text"},
            {"name": "budget", "label": "Budget", "kind": "text", "placeholder": "0"}, {"label": "B", "kind": "text"}],
        ("post", "/clients/{client}/campaigns/{campaign}/holds"): [
            {"agent": "rossi"}, {"agent": "rossi", "start": "2026-11-26T10:00:00"},
            {"agent": "rossi", "start": "2026-11-26T10:00:00+01:00", "minutes": 10}],
        ("put", "/clients/{client}/agents/{agent}/schedule"): [
            {}, {"schedule": [{"weekday": 0, "start": "09:00"}]}, {"schedule": [], "exceptions": []}],
        ("post", "/clients/{client}/agents/{agent}/exceptions"): [
            {"day": "2026-11-28", "kind": "holiday"}, {"kind": "closure"},
            {"day": "2026-11-28", "kind": "closure", "all_day": True}],
        ("post", "/clients/{client}/closed-days"): [{"zone": "milano"}, {"day": "2026-12-24", "client": "acme"}],
    }
    booking = {"agent": "rossi", "start": "2026-11-26T10:00:00+01:00",
               "prospect": {"name": "Bar", "phone": "+39 02 1234567", "postal_code": "20121"}}
    cases[("post", "/clients/{client}/campaigns/{campaign}/appointments")] += [
        {**booking, "hold": "3"}, {**booking, "hold": 0}, {**booking, "out_of_schedule": "yes"},
        {**booking, "fields": []}, {**booking, "prospect": {**booking["prospect"], "province": "Milano"}},
    ]
    for (method, path), bodies in cases.items():
        validator = request_validator(document, method, path)
        for body in bodies:
            assert not validator.is_valid(body), (path, body)


def test_the_documented_booking_body_leaves_the_campaign_fields_open(document):
    """Each campaign defines its own fields: the document cannot list them, the server checks them."""
    validator = request_validator(document, "post", "/clients/{client}/campaigns/{campaign}/appointments")
    validator.validate({"agent": "rossi", "start": "2026-11-26T10:00:00+01:00", "hold": 7, "out_of_schedule": True,
                        "prospect": {"name": "Bar", "phone": "+39 02 1234567", "postal_code": "20121",
                                     "province": "MI"},
                        "fields": {"budget": 1200, "heating": "gas", "visited": False, "since": "2020-01-31"}})


# --- (d) the appointment's life: every documented answer of its operations happens ------------------


def test_every_documented_answer_of_the_appointments_life_is_given(testapp, tenant, dbsession, document, clock):
    """Each life operation is called until it has given every status it documents, each answer held to the
    document (401 without credentials, 403 for a role without the permission, 404 for a name that does not
    exist, 400, 409 and 422 for the refusals of spec §5)."""
    api = DocumentedApi(testapp, document)
    token = {role: make_token(dbsession, tenant.user(role)) for role in
             ("client", "zone_manager", "agent", "operator", "account_manager", "admin")}
    stranger = make_token(dbsession, Tenant(dbsession).client_user)
    own = {"client": tenant.client.slug}
    zone, agent = {**own, "zone": tenant.zone.slug}, {**own, "agent": tenant.agent.slug}
    book = "/clients/{client}/campaigns/{campaign}/appointments"
    life = "/clients/{client}/appointments/{number}"
    prospect = {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}

    def booked(start):
        answer = api.call("post", book, token["operator"], 201, {"agent": tenant.agent.slug, "start": start,
                                                                 "prospect": prospect},
                          campaign=tenant.campaign.slug, **own)
        return {**own, "number": answer.json["number"]}

    def code(response):
        return response.json["error"]["code"]

    first, second = booked("2026-11-26T10:00:00+01:00"), booked("2026-11-26T14:00:00+01:00")
    missing = {**own, "number": 999}
    future = {"start": "2026-12-14T09:00:00+01:00", "end": "2026-12-14T18:00:00+01:00"}

    # 401, 404 and 400 for every life operation, on the first appointment.
    posts = {
        life + "/confirm": {}, life + "/postpone": {"start": "2026-11-27T10:00:00+01:00"}, life + "/contacted": {},
        life + "/outcome": {"outcome": "held"}, life + "/confirmation-call": {"result": "confirmed"},
        life + "/cancellation-request": {"reason": "wrong_target"},
        life + "/cancellation-request/approve": {}, life + "/cancellation-request/reject": {},
    }
    for path, body in posts.items():
        assert code(api.call("post", path, None, 401, body, **first)) == "unauthenticated"
        assert code(api.call("post", path, token["admin"], 404, body, **missing)) == "not_found"
        assert code(api.call("post", path, token["admin"], 400, {**body, "colour": "red"}, **first)) == \
            "validation_error"
    for path in (life + "/history", life + "/cancellation-request"):
        assert code(api.call("get", path, None, 401, **first)) == "unauthenticated"
        assert code(api.call("get", path, token["admin"], 404, **missing)) == "not_found"
        assert code(api.call("get", path, stranger, 403, **first)) == "forbidden"
    folders = [("/clients/{client}", own, {"client": "atlantis"}),
               ("/clients/{client}/zones/{zone}", zone, {**zone, "zone": "atlantis"}),
               ("/clients/{client}/agents/{agent}", agent, {**agent, "agent": "nobody"})]
    for prefix, values, unknown in folders:
        for path in (prefix + "/unavailabilities", prefix + "/changes"):
            api.call("get", path, token["account_manager"], **values)
            assert code(api.call("get", path, None, 401, **values)) == "unauthenticated"
            assert code(api.call("get", path, stranger, 403, **values)) == "forbidden"
            assert code(api.call("get", path, token["admin"], 404, **unknown)) == "not_found"
        path = prefix + "/unavailabilities"
        api.call("post", path, token["account_manager"], 201, future, **values)
        assert code(api.call("post", path, None, 401, future, **values)) == "unauthenticated"
        assert code(api.call("post", path, token["operator"], 403, future, **values)) == "forbidden"
        assert code(api.call("post", path, token["admin"], 404, future, **unknown)) == "not_found"
        assert code(api.call("post", path, token["admin"], 400, {**future, "end": future["start"]}, **values)) == \
            "validation_error"
        refused = api.call("post", path, token["account_manager"], 422,
                           {"start": "2026-11-30T09:00:00+01:00", "end": "2026-11-30T18:00:00+01:00"}, **values)
        assert code(refused) == "notice_too_short"
    for path in ("/callcenter/confirmations", "/callcenter/rescheduling", "/callcenter", "/callcenter/recoveries"):
        assert code(api.call("get", path, None, 401)) == "unauthenticated"
        assert code(api.call("get", path, token["client"], 403)) == "forbidden"
        api.call("get", path, token["operator"])

    # 403 for the roles the ACLs leave out.
    for path, body, role in [
        (life + "/confirm", {}, "client"), (life + "/postpone", posts[life + "/postpone"], "zone_manager"),
        (life + "/contacted", {}, "operator"), (life + "/outcome", {"outcome": "held"}, "client"),
        (life + "/confirmation-call", {"result": "confirmed"}, "agent"),
        (life + "/cancellation-request", {"reason": "wrong_target"}, "operator"),
        (life + "/cancellation-request/approve", {}, "client"), (life + "/cancellation-request/reject", {}, "agent"),
    ]:
        assert code(api.call("post", path, token[role], 403, body, **first)) == "forbidden", path

    # 409 and 422: the rules of spec §5.
    assert code(api.call("get", life + "/cancellation-request", token["admin"], 404, **first)) == "not_found"
    for action in ("approve", "reject"):
        assert code(api.call("post", life + "/cancellation-request/" + action, token["account_manager"], 409, {},
                             **first)) == "conflict"
    assert code(api.call("post", life + "/outcome", token["agent"], 409, {"outcome": "held"}, **first)) == \
        "conflict"
    assert code(api.call("post", life + "/postpone", token["operator"], 409,
                         {"start": "2026-11-26T14:00:00+01:00"}, **first)) == "slot_taken"
    assert code(api.call("post", life + "/postpone", token["operator"], 422,
                         {"start": "2026-11-28T10:00:00+01:00"}, **first)) == "outside_schedule"
    assert code(api.call("post", life + "/confirmation-call", token["operator"], 409,
                         {"result": "postponed", "start": "2026-11-26T14:30:00+01:00"}, **first)) == "slot_taken"
    assert code(api.call("post", life + "/confirmation-call", token["operator"], 422,
                         {"result": "postponed", "start": "2026-11-26T19:00:00+01:00"}, **first)) == \
        "outside_schedule"
    api.call("post", life + "/postpone", token["agent"], body={"start": "2026-11-26T11:00:00+01:00"}, **first)
    api.call("post", life + "/confirm", token["agent"], body={}, **first)
    assert code(api.call("post", life + "/confirm", token["agent"], 409, {}, **first)) == "conflict"
    assert code(api.call("post", life + "/cancellation-request", token["client"], 422,
                         {"reason": "not_looked_at_portal"}, **first)) == "reason_not_allowed"
    api.call("post", life + "/cancellation-request", token["client"], 201, {"reason": "wrong_target"}, **first)
    assert code(api.call("post", life + "/cancellation-request", token["zone_manager"], 409,
                         {"reason": "duplicate"}, **first)) == "conflict"
    api.call("get", life + "/cancellation-request", token["agent"], **first)
    api.call("post", life + "/cancellation-request/approve", token["account_manager"], body={}, **first)
    for path, body in [(life + "/contacted", {}), (life + "/confirmation-call", {"result": "disowned"})]:
        assert code(api.call("post", path, token["admin"], 409, body, **first)) == "conflict", path
    api.call("post", life + "/cancellation-request/reject", token["admin"], 409, {}, **first)
    api.call("post", life + "/cancellation-request", token["zone_manager"], 201, {"reason": "other"}, **second)
    api.call("post", life + "/cancellation-request/reject", token["account_manager"], body={"notes": "no"},
             **second)
    api.call("post", life + "/contacted", token["agent"], body={}, **second)  # before the meeting (rule 4)
    clock.now = NOW + timedelta(days=6)  # Sunday 29: the window of Thursday 26 closed at midnight
    assert code(api.call("post", life + "/cancellation-request", token["client"], 422, {"reason": "wrong_target"},
                         **second)) == "cancellation_window_closed"
    api.call("post", life + "/outcome", token["agent"], body={"outcome": "no_show"}, **second)
    api.call("post", life + "/confirmation-call", token["operator"], body={"result": "disowned"}, **second)
    api.call("get", life + "/history", token["agent"], **second)

    # Any operation: a query string that is not UTF-8 is refused before any view (README "Bad input").
    names = {**first, "zone": tenant.zone.slug, "agent": tenant.agent.slug}
    for method, path in sorted(LIFE_OPERATIONS):
        answer = testapp.request("/api/v1" + path.format(**names) + "?q=%FF", method=method.upper(), status=400,
                                 headers={"Authorization": f"Bearer {token['admin']}"})
        response_validator(document, method, path, 400).validate(answer.json)
        api.statuses.add((method, path, "400"))
        if "requestBody" not in operation(document, method, path):
            continue
        for body, content_type, status in [(b" " * (BODY_LIMIT + 1), "application/json", 413),
                                           (b"reason=other", "application/x-www-form-urlencoded", 415)]:
            answer = testapp.request("/api/v1" + path.format(**names), method=method.upper(), body=body,
                                     status=status, headers={"Authorization": f"Bearer {token['admin']}",
                                                             "Content-Type": content_type})
            response_validator(document, method, path, status).validate(answer.json)
            api.statuses.add((method, path, str(status)))

    for method, path in sorted(LIFE_OPERATIONS):
        # 503 is the database failing under any operation: tests/portal/guards/test_database_faults.py gives it.
        documented = set(operation(document, method, path)["responses"]) - {"503"}
        given = {status for m, p, status in api.statuses if (m, p) == (method, path)}
        assert documented <= given, f"{method.upper()} {path} never answered {sorted(documented - given)}"


def test_the_documented_life_bodies_refuse_what_the_server_refuses(document):
    base = "/clients/{client}/appointments/{number}"
    cases = {
        base + "/confirm": [{"notes": "x"}],
        base + "/contacted": [{"at": "2026-11-26T10:00:00+01:00"}],
        base + "/postpone": [{}, {"start": "2026-11-26T10:00:00"}, {"start": "2026-11-26T10:00:00+01:00", "x": 1},
                             {"start": "2026-11-26T10:00:00+01:00", "agent": "Rossi"}],
        base + "/outcome": [{}, {"outcome": "won"}, {"outcome": "held", "notes": 3}],
        base + "/confirmation-call": [{"result": "postponed"}, {"result": "maybe"}, {}],
        base + "/cancellation-request": [{}, {"reason": "bored"}, {"reason": "other", "by": "me"}],
        base + "/cancellation-request/approve": [{"notes": 1}, {"approve": True}],
        base + "/cancellation-request/reject": [{"reason": "no"}],
        "/clients/{client}/agents/{agent}/unavailabilities": [
            {"start": "2026-12-14T09:00:00+01:00"}, {"start": "2026-12-14T09:00:00", "end": "2026-12-14T10:00:00"},
            {"start": "2026-12-14T09:00:00+01:00", "end": "2026-12-14T10:00:00+01:00", "override": "x"},
            {"start": "2026-12-14T09:00:00+01:00", "end": "2026-12-14T10:00:00+01:00", "agent": "rossi"}],
    }
    for path, bodies in cases.items():
        validator = request_validator(document, "post", path)
        for body in bodies:
            assert not validator.is_valid(body), (path, body)
    request_validator(document, "post", base + "/confirmation-call").validate({"result": "disowned"})


def test_the_documented_reasons_and_outcomes_are_the_servers(document):
    schemas = document["components"]["schemas"]
    assert schemas["CancellationRequestBody"]["properties"]["reason"]["enum"] == list(CANCELLATION_REASONS)
    assert schemas["OutcomeBody"]["properties"]["outcome"]["enum"] == list(OUTCOMES)
    assert schemas["AppointmentFields"]["properties"]["outcome"]["enum"] == list(OUTCOMES) + [None]
