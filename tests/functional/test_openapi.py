"""/api/v1/openapi.json is a valid OpenAPI 3.1 document, names every API view, and tells the truth (spec §9)."""
import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from agents.resources import AgentContainer, AgentFolder, UserContainer, ZoneContainer, ZoneFolder
from callcenter.resources import AppointmentContainer, AppointmentResource, CampaignAppointments
from campaigns.resources import CampaignContainer, CampaignFolder, ClientContainer, ClientFolder, StepContainer, StepResource
from portal.api import API_ROUTE
from portal.errors import STATUS_BY_CODE
from portal.openapi import load_document
from portal.resources import Root
from tests.factories import make_campaign, make_token

DOCUMENT_URI = "urn:portal:openapi"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Every API view, (context, view name, request method), and the operation that documents it.
OPERATION_OF_VIEW = {
    (Root, "openapi.json", "GET"): ("get", "/openapi.json"),
    (ClientContainer, "", "GET"): ("get", "/clients"),
    (ClientContainer, "", "POST"): ("post", "/clients"),
    (ClientFolder, "", "GET"): ("get", "/clients/{client}"),
    (CampaignContainer, "", "GET"): ("get", "/clients/{client}/campaigns"),
    (CampaignContainer, "", "POST"): ("post", "/clients/{client}/campaigns"),
    (CampaignFolder, "", "GET"): ("get", "/clients/{client}/campaigns/{campaign}"),
    (StepContainer, "", "GET"): ("get", "/clients/{client}/campaigns/{campaign}/steps"),
    (StepContainer, "", "POST"): ("post", "/clients/{client}/campaigns/{campaign}/steps"),
    (StepResource, "", "GET"): ("get", "/clients/{client}/campaigns/{campaign}/steps/{number}"),
    (StepResource, "confirm", "POST"): ("post", "/clients/{client}/campaigns/{campaign}/steps/{number}/confirm"),
    (CampaignAppointments, "", "GET"): ("get", "/clients/{client}/campaigns/{campaign}/appointments"),
    (CampaignAppointments, "", "POST"): ("post", "/clients/{client}/campaigns/{campaign}/appointments"),
    (ZoneContainer, "", "GET"): ("get", "/clients/{client}/zones"),
    (ZoneContainer, "", "POST"): ("post", "/clients/{client}/zones"),
    (ZoneFolder, "", "GET"): ("get", "/clients/{client}/zones/{zone}"),
    (ZoneFolder, "appointments", "GET"): ("get", "/clients/{client}/zones/{zone}/appointments"),
    (AgentContainer, "", "GET"): ("get", "/clients/{client}/agents"),
    (AgentContainer, "", "POST"): ("post", "/clients/{client}/agents"),
    (AgentFolder, "", "GET"): ("get", "/clients/{client}/agents/{agent}"),
    (AgentFolder, "appointments", "GET"): ("get", "/clients/{client}/agents/{agent}/appointments"),
    (AppointmentContainer, "", "GET"): ("get", "/clients/{client}/appointments"),
    (AppointmentResource, "", "GET"): ("get", "/clients/{client}/appointments/{number}"),
    (UserContainer, "", "POST"): ("post", "/users"),
}


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
        else:
            assert method in item
            if body is not None and status < 300:
                request_validator(self.document, method, path).validate(body)
            response = self.testapp.post_json(url, body if body is not None else {}, headers=headers, status=status)
        assert response.content_type == "application/json"
        response_validator(self.document, method, path, response.status_int).validate(response.json)
        if status < 300:
            self.answered.add((method, path))
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
    implemented = {OPERATION_OF_VIEW[view] for view in views}
    phantom = sorted(documented_operations(document) - implemented)
    assert not phantom, f"documented operations without a view: {phantom}"


# --- (c) the answers are what the document says --------------------------------------------------


def test_every_documented_operation_answers_as_documented(testapp, tenant, dbsession, document):
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

    api.call("post", "/clients/{client}/zones", admin, 201,
             {"slug": "milano", "name": "Milano", "provinces": ["MI"], "postal_codes": ["20121"]}, **client)
    api.call("get", "/clients/{client}/zones", admin, **client)
    api.call("get", "/clients/{client}/zones/{zone}", admin, zone="milano", **client)
    api.call("post", "/clients/{client}/agents", admin, 201,
             {"slug": "rossi", "name": "Mario Rossi", "email": "rossi@example.test", "phone": "+39 333 1234567",
              "zones": ["milano"], "schedule": [{"weekday": 0, "start": "09:00", "end": "13:00"}]}, **client)
    api.call("get", "/clients/{client}/agents", admin, **client)
    api.call("get", "/clients/{client}/agents/{agent}", admin, agent="rossi", **client)

    api.call("post", "/clients/{client}/campaigns", admin, 201,
             {"slug": "winter", "name": "Winter", "appointment_minutes": 45, "buffer_minutes": 15,
              "cutoff_hours": 36}, **client)
    api.call("get", "/clients/{client}/campaigns", admin, **client)
    api.call("get", "/clients/{client}/campaigns/{campaign}", admin, **campaign)
    api.call("post", "/clients/{client}/campaigns/{campaign}/steps", admin, 201,
             {"quantity": 1, "valid_from": "2026-11-01", "valid_to": "2027-06-30", "description": "First"}, **campaign)
    api.call("get", "/clients/{client}/campaigns/{campaign}/steps", admin, **campaign)
    api.call("get", "/clients/{client}/campaigns/{campaign}/steps/{number}", admin, number=1, **campaign)
    api.call("post", "/clients/{client}/campaigns/{campaign}/steps/{number}/confirm", admin, number=1, **campaign)

    booking = {"agent": "rossi", "start": "2026-11-26T10:00:00+01:00", "notes": "Ring twice", "fields": {},
               "prospect": {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}}
    api.call("post", "/clients/{client}/campaigns/{campaign}/appointments", operator, 201, booking, **campaign)
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

    api.call("post", "/users", admin, 201, {"email": "anna@example.test", "password": "long enough pw",
                                            "role": "client", "name": "Anna", "client": "acme"})

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
    }
    for (method, path), bodies in cases.items():
        validator = request_validator(document, method, path)
        for body in bodies:
            assert not validator.is_valid(body), (path, body)
