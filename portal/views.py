"""Login, logout, password change, the home redirect and the HTML error pages."""
from pyramid.csrf import new_csrf_token
from pyramid.exceptions import BadCSRFToken
from pyramid.httpexceptions import HTTPFound
from pyramid.security import NO_PERMISSION_REQUIRED, forget, remember
from pyramid.view import exception_view_config, forbidden_view_config, notfound_view_config, view_config
from sqlalchemy import func, select
from sqlalchemy.exc import DataError, IntegrityError


from portal.api import DUPLICATE, OUT_OF_COLUMN, api_view, error_response
from portal.errors import RuleViolation
from portal.forms import make_form, set_field_error, validate
from portal.i18n import LOCALE_COOKIE, LOCALES, _, translate
from portal.models import User
from portal.openapi import openapi_document
from portal.resources import Root
from portal.schemas import LoginSchema, PasswordChangeSchema
from portal.security import check_password, end_sessions, hash_password


def home_url(request, user):
    """Where a user lands: the folder of his/her role, as registered by the packages."""
    resolver = request.registry["home_resolvers"].get(user.role)
    return resolver(request, user) if resolver else request.resource_url(request.root, "password")


@view_config(context=Root, permission="authenticated")
def root_view(context, request):
    return HTTPFound(home_url(request, request.user))


@view_config(context=Root, name="login", renderer="portal:templates/login.jinja2",
             permission=NO_PERMISSION_REQUIRED)
def login_view(context, request):
    form = make_form(request, LoginSchema(), buttons=(_("Log in"),))
    if request.method == "POST":
        appstruct = validate(form, request)
        if appstruct is not None:
            email = appstruct["email"].strip().lower()
            user = request.dbsession.execute(
                select(User).where(func.lower(User.email) == email)
            ).scalar_one_or_none()
            if check_password(user, appstruct["password"]):
                headers = remember(request, user.id)
                new_csrf_token(request)
                target = request.params.get("came_from") or home_url(request, user)
                if not target.startswith(request.application_url + "/"):  # not "localhost.evil" nor "localhost@evil"
                    target = home_url(request, user)
                return HTTPFound(target, headers=headers)
            request.response.status_int = 400
            set_field_error(form, None, _("login_failed", default="Wrong e-mail or password."))
        else:
            request.response.status_int = 400
    return {"form": form.render(), "came_from": request.params.get("came_from", "")}


@view_config(context=Root, name="logout", request_method="POST", permission=NO_PERMISSION_REQUIRED)
def logout_view(context, request):
    return HTTPFound(request.resource_url(request.root, "login"), headers=forget(request))


@view_config(context=Root, name="password", renderer="portal:templates/password.jinja2",
             permission="authenticated")
def password_view(context, request):
    form = make_form(request, PasswordChangeSchema(), buttons=(_("Change password"),))
    if request.method == "POST":
        appstruct = validate(form, request)
        if appstruct is not None:
            user = request.user
            if check_password(user, appstruct["current_password"]):
                user.password_hash = hash_password(appstruct["new_password"])
                end_sessions(request.dbsession, user.id, request.now)  # a stolen cookie included
                remember(request, user.id)
                request.session.flash(
                    request.localizer.translate(_("password_changed", default="Your password has been changed.")),
                    "success",
                )
                return HTTPFound(request.resource_url(request.root))
            set_field_error(form, "current_password", _("wrong_password", default="The current password is wrong."))
        request.response.status_int = 400
    return {"form": form.render()}


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
    return error_page(request, exc)


def error_page(request, violation):
    return {"code": violation.code, "message": translate(request, violation.message)}


@api_view(context=Root, name="openapi.json", request_method="GET", permission=NO_PERMISSION_REQUIRED)
def openapi_view(context, request):
    return openapi_document(request)


def add_home_resolver(config, role, resolver):
    config.registry["home_resolvers"][role] = resolver


def includeme(config):
    config.registry["home_resolvers"] = {}
    config.add_directive("add_home_resolver", add_home_resolver)
    config.include("portal.forms")
    config.scan("portal.views")
