"""The home redirect, the language switch, the HTML error pages and the OpenAPI document."""
from pyramid.exceptions import BadCSRFToken
from pyramid.httpexceptions import HTTPFound
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import exception_view_config, forbidden_view_config, notfound_view_config, view_config
from sqlalchemy.exc import DataError, IntegrityError

from portal.api.plumbing import DUPLICATE, OUT_OF_COLUMN, api_view, error_response
from portal.errors import RuleViolation
from portal.i18n import LOCALE_COOKIE, LOCALES, _, translate
from portal.api.openapi import openapi_document
from portal.resources import Root, home_url


@view_config(context=Root, permission="authenticated")
def root_view(context, request):
    return HTTPFound(home_url(request, request.user))


@view_config(context=Root, name="language", permission=NO_PERMISSION_REQUIRED)
def language_view(context, request):
    locale = request.params.get("locale")
    referer = request.referer or ""
    target = referer if referer.startswith(request.application_url + "/") else request.application_url + "/"
    response = HTTPFound(target)
    if locale in LOCALES:
        response.set_cookie(LOCALE_COOKIE, locale, max_age=365 * 24 * 3600, samesite="Lax")
        if request.user is not None:  # the language of the user's mails too
            request.user.language = locale
    return response


@forbidden_view_config(renderer="portal:templates/error.jinja2")
def forbidden_view(exc, request):
    if request.authenticated_userid is None:
        login = request.resource_url(request.root, "login", query={"came_from": request.url})
        return HTTPFound(login)
    request.response.status_int = 403
    return error_page(request, RuleViolation("forbidden"))


@notfound_view_config(renderer="portal:templates/error.jinja2")
def notfound_view(exc, request):
    request.response.status_int = 404
    return error_page(request, RuleViolation("not_found"))


@exception_view_config(BadCSRFToken, renderer="portal:templates/error.jinja2")
def bad_csrf_view(exc, request):
    violation = RuleViolation("forbidden", _("csrf_refused", default="The form has expired: reload the page and retry."))
    if request.matched_route is not None and request.matched_route.name == "api":
        request.override_renderer = "json"
        return error_response(request, violation)
    request.response.status_int = 403
    return error_page(request, violation)


@exception_view_config(IntegrityError, renderer="portal:templates/error.jinja2")
def integrity_error_view(exc, request):
    request.response.status_int = DUPLICATE.status
    return error_page(request, DUPLICATE)


@exception_view_config(DataError, renderer="portal:templates/error.jinja2")
def data_error_view(exc, request):
    request.response.status_int = OUT_OF_COLUMN.status
    return error_page(request, OUT_OF_COLUMN)


@exception_view_config(RuleViolation, renderer="portal:templates/error.jinja2")
def rule_violation_view(exc, request):
    request.response.status_int = exc.status
    if exc.retry_after:
        request.response.headers["Retry-After"] = str(exc.retry_after)
    return error_page(request, exc)


def error_page(request, violation):
    return {"code": violation.code, "message": translate(request, violation.message)}


@api_view(context=Root, name="openapi.json", request_method="GET", permission=NO_PERMISSION_REQUIRED)
def openapi_view(context, request):
    return openapi_document(request)


def includeme(config):
    config.include("portal.forms")
    config.scan("portal.views")
