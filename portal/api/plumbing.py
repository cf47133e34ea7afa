"""API plumbing: JSON bodies checked with colander, errors in the shape of spec §9."""
import json

import colander
import orjson
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound
from pyramid.renderers import JSON
from pyramid.view import exception_view_config, view_config
from sqlalchemy.exc import DataError, IntegrityError

from portal.errors import RuleViolation
from portal.i18n import _

NOT_PARSED = object()
PARSED_JSON = "portal.json_body"  # where portal.guards.bad_input leaves the body it parsed and checked
BEARER_REFUSAL = "portal.bearer_refusal"  # the 429 portal.accounts.security chose for a wrong token
API_ROUTE = "api"
API_PREFIX = "/api/v1"
# Two requests creating the same slug or e-mail at once: the loser meets the unique
# constraint at flush, after the service's own check passed. Still a clean refusal.
DUPLICATE = RuleViolation("conflict", _("already_exists", default="This name is already in use."))
# The last line of defence behind the schemas: a value the database itself refuses (a text longer
# than its column, a number out of its range) is still the caller's bad input, and the request's
# transaction is rolled back whole.
OUT_OF_COLUMN = RuleViolation("validation_error", _("value_out_of_range", default="A value is too long or out of "
                                                                                   "range."))


def api_view(**settings):
    """``view_config`` for the JSON twin of the tree under /api/v1."""
    settings.setdefault("renderer", "json")
    return view_config(route_name=API_ROUTE, **settings)


def is_api_request(request):
    return request.matched_route is not None and request.matched_route.name == API_ROUTE


def json_body(request):
    body = request.environ.get(PARSED_JSON, NOT_PARSED)  # parsed and checked once by portal.guards.bad_input
    try:
        body = request.json_body if body is NOT_PARSED else body
    except ValueError:
        raise RuleViolation("validation_error", _("malformed_json", default="The body is not valid JSON."))
    if not isinstance(body, dict):
        raise RuleViolation("validation_error", _("json_object_expected", default="The body must be a JSON object."))
    return body


def deserialize(schema, data):
    """Validate ``data`` with a colander schema; the first error names its field."""
    refuse_unknown_fields(schema, data)
    refuse_nul_characters(data)
    try:
        return schema.deserialize(data)
    except colander.Invalid as invalid:
        field, message = first_error(invalid)
        raise RuleViolation("validation_error", message, field)


def refuse_unknown_fields(schema, data, prefix=""):
    """An unknown field is an error the client should hear about, not silently dropped."""
    if isinstance(data, list) and isinstance(schema.typ, colander.Sequence) and schema.children:
        for index, item in enumerate(data):
            refuse_unknown_fields(schema.children[0], item, f"{prefix}{index}.")
        return
    if not isinstance(data, dict) or not isinstance(schema.typ, colander.Mapping):
        return
    if schema.typ.unknown == "preserve":  # open mappings are checked by their owner (campaign fields)
        return
    known = {child.name: child for child in schema.children}
    for key, value in data.items():
        if key not in known:
            raise RuleViolation(
                "validation_error", _("unknown_field", default="Unknown field."), prefix + key
            )
        refuse_unknown_fields(known[key], value, prefix + key + ".")


def refuse_nul_characters(data, prefix=""):
    """PostgreSQL text cannot hold NUL: that is bad input (400), not a database error (500)."""
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return
    for key, value in items:
        field = f"{prefix}{key}"
        if isinstance(value, str) and "\x00" in value:
            raise RuleViolation("validation_error", field=field)
        refuse_nul_characters(value, field + ".")


def first_error(invalid):
    """(dotted field name, message) of the first error colander found. The message stays a
    translation string (``asdict()`` would flatten it to English), so it is shown in the user's language."""
    errors = []
    for path in invalid.paths():
        field = ".".join(name for name in (error._keyname() for error in path) if name)
        messages = [message for error in path if error.msg for message in error.messages()]
        if messages:
            errors.append((field, messages[0]))
    for field, message in sorted(errors, key=lambda error: error[0]):
        return field or None, message
    return None, _("validation_error", default="The data sent is not valid.")


def parse(request, schema):
    return deserialize(schema, json_body(request))


def error_response(request, violation):
    request.response.status_int = violation.status
    if violation.retry_after:
        request.response.headers["Retry-After"] = str(violation.retry_after)
    return violation.as_json(request.localizer.translate)


@exception_view_config(RuleViolation, route_name=API_ROUTE, renderer="json")
def api_rule_violation(exc, request):
    return error_response(request, exc)


@exception_view_config(IntegrityError, route_name=API_ROUTE, renderer="json")
def api_integrity_error(exc, request):
    return error_response(request, DUPLICATE)


@exception_view_config(DataError, route_name=API_ROUTE, renderer="json")
def api_data_error(exc, request):
    return error_response(request, OUT_OF_COLUMN)


@exception_view_config(HTTPForbidden, route_name=API_ROUTE, renderer="json")
def api_forbidden(exc, request):
    if request.authenticated_userid is None:
        refusal = request.environ.get(BEARER_REFUSAL)  # a wrong token from a locked address
        if refusal is not None:
            return error_response(request, refusal)
        request.response.headers["WWW-Authenticate"] = 'Bearer realm="portal"'
        return error_response(request, RuleViolation("unauthenticated"))
    return error_response(request, RuleViolation("forbidden"))


@exception_view_config(HTTPNotFound, route_name=API_ROUTE, renderer="json")
def api_not_found(exc, request):
    return error_response(request, RuleViolation("not_found"))


def dumps(value, default):
    """The ``json`` renderer's serializer: orjson (a list of 50 appointments in a tenth of the time), and the
    standard library for what orjson refuses (an integer past 64 bits, a key that is not text)."""
    try:
        return orjson.dumps(value, default=default)
    except orjson.JSONEncodeError:
        return json.dumps(value, default=default)


def includeme(config):
    config.add_renderer("json", JSON(serializer=dumps))
    config.add_route(API_ROUTE, API_PREFIX + "/*traverse")
    config.scan("portal.api.plumbing")
