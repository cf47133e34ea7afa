"""Bad input refused at the door (README "Bad input", spec §9 and §10: never a 500).

One tween, at the top of the chain, looks at what every request brings before anything reads it:
the path, the query string and the body. Whatever no view could use (bytes that are not UTF-8, NUL
characters and lone surrogates that PostgreSQL cannot store, a body over the size limit, a charset
that does not exist, JSON that is malformed, nested too deep or repeats a key, a multipart body
without its boundary) is answered here with the API's coded error or a small error page, before
routing, locale negotiation or the transaction start. A JSON body that passes is parsed once and
handed to ``portal.api.plumbing.json_body``.
"""
import codecs
import json
from html import escape
from urllib.parse import parse_qsl

from pyramid.response import Response
from pyramid.tweens import INGRESS

from portal.api.plumbing import PARSED_JSON
from portal.errors import RuleViolation
from portal.i18n import _

API_PATH = "/api/v1"
DEFAULT_MAX_BODY_BYTES = 12 * 1024 * 1024  # above the .xlsx upload's own 10 MB limit
MAX_JSON_DEPTH = 32  # the deepest documented body is 4 levels; far below Python's recursion limit
MAX_QUERY_FIELDS = 200
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class Refusal(Exception):
    def __init__(self, violation):
        self.violation = violation


def refuse(code, message=None, field=None, mapping=None):
    raise Refusal(RuleViolation(code, message, field, mapping))


def bad_text(value):
    """NUL or a lone surrogate: text no column can hold and no encoder can write."""
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check_path(environ):
    raw = environ.get("PATH_INFO", "")
    try:
        path = raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        refuse("not_found")  # no name is spelled with bytes that are not text
    if any(ord(character) < 32 or ord(character) == 127 for character in path):
        refuse("not_found")  # nor with control characters (the routes do not even match a newline)


def check_query(environ):
    query = environ.get("QUERY_STRING", "")
    if not query:
        return
    try:
        pairs = parse_qsl(query.encode("latin-1").decode("utf-8"), keep_blank_values=True,
                          errors="strict", max_num_fields=MAX_QUERY_FIELDS)
    except (UnicodeEncodeError, UnicodeDecodeError):
        refuse("validation_error", _("bad_query_encoding", default="The query string is not valid UTF-8."))
    except ValueError:
        refuse("validation_error", _("too_many_query_fields", default="The query string has too many fields."))
    for name, value in pairs:
        if bad_text(name) or bad_text(value):
            refuse("validation_error", _("bad_characters", default="The text holds characters that cannot be "
                                                                   "stored (NUL or invalid Unicode)."), name)


def read_body(request, limit):
    """The body's bytes, or a 413 when it is over ``limit`` (read no further than that)."""
    length = request.content_length
    if length is not None and length > limit:
        refuse("payload_too_large", mapping={"limit": limit})
    if length is None and request.environ.get("wsgi.input_terminated"):  # chunked: no length announced
        data = request.environ["wsgi.input"].read(limit + 1)
        if len(data) > limit:
            refuse("payload_too_large", mapping={"limit": limit})
        request.body = data
    return request.body


def media_type_params(request):
    """The parameters of the Content-Type header, names lower-cased (``charset``, ``boundary``)."""
    params = {}
    for part in request.headers.get("Content-Type", "").split(";")[1:]:
        name, _sep, value = part.partition("=")
        params[name.strip().lower()] = value.strip().strip('"')
    return params


def check_charset(request):
    charset = media_type_params(request).get("charset")
    if charset is None:
        return
    try:
        known = codecs.lookup(charset).name == "utf-8"
    except LookupError:
        known = False
    if not known:  # JSON is UTF-8 (RFC 8259); the forms are served as UTF-8
        refuse("unsupported_media_type", _("unsupported_charset", default="Only UTF-8 text is accepted."))


def refuse_duplicate_keys(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            refuse("validation_error", _("repeated_key", default="This key appears more than once."), key)
        seen[key] = value
    return seen


def refuse_constant(name):
    refuse("validation_error", _("malformed_json", default="The body is not valid JSON."))


def check_json_value(value, field="", depth=0):
    if depth > MAX_JSON_DEPTH:
        refuse("validation_error", _("json_too_deep", default="The body is nested too deeply."), field or None)
    if isinstance(value, str):
        if bad_text(value):
            refuse("validation_error", _("bad_characters", default="The text holds characters that cannot be "
                                                                   "stored (NUL or invalid Unicode)."), field or None)
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{field}.{key}" if field else key
            if bad_text(key):
                refuse("validation_error", _("bad_characters", default="The text holds characters that cannot be "
                                                                       "stored (NUL or invalid Unicode)."))
            check_json_value(item, name, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_json_value(item, f"{field}.{index}" if field else str(index), depth + 1)


def parse_json(data):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        refuse("validation_error", _("body_not_utf8", default="The body is not valid UTF-8."))
    try:
        value = json.loads(text, object_pairs_hook=refuse_duplicate_keys, parse_constant=refuse_constant)
    except RecursionError:
        refuse("validation_error", _("json_too_deep", default="The body is nested too deeply."))
    except ValueError:  # malformed, or an integer of thousands of digits
        refuse("validation_error", _("malformed_json", default="The body is not valid JSON."))
    check_json_value(value)
    return value


def is_json(media_type):
    return media_type == "application/json" or (media_type.startswith("application/") and
                                                media_type.endswith("+json"))


def check_api_body(request, data):
    media_type = request.content_type
    if media_type and not is_json(media_type):
        refuse("unsupported_media_type")
    request.environ[PARSED_JSON] = parse_json(data)


def check_form_body(request):
    media_type = request.content_type
    if media_type not in FORM_TYPES:
        return
    if media_type == "multipart/form-data" and not media_type_params(request).get("boundary"):
        refuse("validation_error", _("bad_form_body", default="The form data cannot be read."))
    try:
        if media_type == "multipart/form-data":
            fields = list(request.POST.items())
        else:  # WebOb would replace bytes that are not UTF-8 with U+FFFD: refuse them like the query's
            fields = parse_qsl(request.body.decode("utf-8"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError, LookupError):
        refuse("validation_error", _("bad_form_body", default="The form data cannot be read."))
    for name, value in fields:
        if bad_text(name) or (isinstance(value, str) and bad_text(value)):
            refuse("validation_error", _("bad_characters", default="The text holds characters that cannot be "
                                                                   "stored (NUL or invalid Unicode)."), name)


def inspect(request, limit):
    check_path(request.environ)
    check_query(request.environ)
    is_api = is_api_path(request.environ)
    data = read_body(request, limit)
    if not data:
        return
    check_charset(request)
    if is_api:
        check_api_body(request, data)
    else:
        check_form_body(request)


def is_api_path(environ):
    path = environ.get("PATH_INFO", "")
    return path == API_PATH or path.startswith(API_PATH + "/")


def refusal_response(request, violation):
    translate = request.localizer.translate
    if is_api_path(request.environ):
        response = Response(json=violation.as_json(translate), status=violation.status)
        response.content_type = "application/json"
        return response
    message = escape(violation.as_json(translate)["error"]["message"])
    title = escape(translate(_("Error")))
    body = (f'<!doctype html><html lang="{escape(request.locale_name)}"><head><meta charset="utf-8">'
            f"<title>{title}</title></head><body><h1>{message}</h1>"
            f"<p><code>{escape(violation.code)}</code></p></body></html>")
    return Response(body, status=violation.status, content_type="text/html", charset="utf-8")


def input_guard_tween_factory(handler, registry):
    limit = int(registry.settings.get("portal.max_body_bytes") or DEFAULT_MAX_BODY_BYTES)

    def input_guard_tween(request):
        try:
            inspect(request, limit)
        except Refusal as refusal:
            return refusal_response(request, refusal.violation)
        return handler(request)

    return input_guard_tween


def includeme(config):
    config.add_tween("portal.guards.bad_input.input_guard_tween_factory", under=INGRESS)
