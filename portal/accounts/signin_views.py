"""Signing in (README "Signing in safely"): the login with its lockout, the two-factor step, enrolment, the forgotten
password, the user's recent sign-ins and other sessions, and the admins' sign-in audit (/sign-ins)."""
import ipaddress
from datetime import datetime, timedelta, timezone

import segno
from pyramid.authorization import Allow
from pyramid.csrf import new_csrf_token
from pyramid.httpexceptions import HTTPFound
from pyramid.security import NO_PERMISSION_REQUIRED, remember
from pyramid.view import view_config

from portal import permissions as P
from portal.accounts import signin
from portal.api.plumbing import api_view
from portal.errors import RuleViolation
from portal.forms import make_form, set_field_error, validate
from portal.i18n import _, translate
from portal.accounts.models import digest_of
from portal.accounts.passwords import request_reset, reset_password
from portal.resources import Resource, Root, home_url
from portal.accounts.schemas import CodeSchema, ForgottenPasswordSchema, LoginSchema, PasswordResetSchema
from portal.accounts.security import SESSION_KEY

EMAIL_LENGTH = 254  # users.email and sign_in_failures.key

PENDING_USER = "pending_user_id"  # password right, second step (code or enrolment) still to do
PENDING_SINCE = "pending_since"
PENDING_ENROL = "pending_enrol"
PENDING_CAME_FROM = "pending_came_from"
PENDING_FOR = timedelta(minutes=5)
EVENT_LIMIT = 200


def throttle_of(request):
    return signin.Throttle.from_settings(request.registry.settings)


def flash(request, message, queue="success"):
    request.session.flash(translate(request, message), queue)


def safe_target(request, came_from, user):
    if came_from and came_from.startswith(request.application_url + "/"):  # not "localhost.evil" nor "localhost@evil"
        return came_from
    return home_url(request, user)


def refused(request, form, seconds):
    """429 with Retry-After and the message on the form."""
    violation = signin.too_many_attempts(seconds)
    request.response.status_int = violation.status
    request.response.headers["Retry-After"] = str(seconds)
    set_field_error(form, None, violation.message)


def form_page(request, form, title, intro):
    return {"title": translate(request, title), "intro": translate(request, intro), "form": form.render()}


def complete_sign_in(request, user, came_from):
    for key in (PENDING_USER, PENDING_SINCE, PENDING_ENROL, PENDING_CAME_FROM):
        request.session.pop(key, None)
    headers = remember(request, user.id)  # a new session and a new key
    new_csrf_token(request)
    signin.record_for(request, signin.SIGNED_IN, user=user)
    signin.forget_failures(request.dbsession, throttle_of(request), request.now, email=user.email.lower())
    return HTTPFound(safe_target(request, came_from, user), headers=headers)


def pending_user(request, enrolment=False):
    """The user between the password and the second step, for ``PENDING_FOR`` at most."""
    user_id, since = request.session.get(PENDING_USER), request.session.get(PENDING_SINCE)
    if user_id is None or since is None or bool(request.session.get(PENDING_ENROL)) != enrolment:
        return None
    if request.now - datetime.fromtimestamp(since, timezone.utc) > PENDING_FOR:
        return None
    user = request.dbsession.get(signin.User, user_id)
    return user if user is not None and user.active else None


@view_config(context=Root, name="login", renderer="portal.accounts:templates/login.jinja2", permission=NO_PERMISSION_REQUIRED)
def login_view(context, request):
    """The password step. Past the lockout's limits every attempt is refused (429), right password or
    not; an unknown e-mail is counted, answered and timed like a known one."""
    form = make_form(request, LoginSchema(), buttons=(_("Log in"),))
    came_from = request.params.get("came_from", "")
    if request.method == "POST":
        appstruct = validate(form, request)
        if appstruct is None:
            request.response.status_int = 400
            return {"form": form.render(), "came_from": came_from}
        dbsession, now, throttle = request.dbsession, request.now, throttle_of(request)
        email, ip = appstruct["email"].strip().lower(), signin.client_ip(request)
        user = signin.user_by_email(dbsession, email)
        wait = signin.retry_after(dbsession, throttle, now, email=email, ip=ip)
        if wait:
            signin.record_for(request, signin.LOCKED_OUT, user=user, email=email)
            refused(request, form, wait)
            return {"form": form.render(), "came_from": came_from}
        from portal.accounts.security import check_password

        if not check_password(user, appstruct["password"]):
            signin.count_failure(dbsession, now, email=email, ip=ip)
            signin.record_for(request, signin.FAILED, user=user, email=email)
            request.response.status_int = 400
            set_field_error(form, None, _("login_failed", default="Wrong e-mail or password."))
            return {"form": form.render(), "came_from": came_from}
        if user.totp_enabled_at is None and not signin.two_factor_required(dbsession, user):
            return complete_sign_in(request, user, came_from)
        request.session.invalidate()  # nothing of an earlier visitor's session carries over
        request.session[PENDING_USER] = user.id
        request.session[PENDING_SINCE] = now.timestamp()
        request.session[PENDING_CAME_FROM] = came_from
        request.session[PENDING_ENROL] = user.totp_enabled_at is None
        step = "two-factor" if user.totp_enabled_at is None else "login-code"
        return HTTPFound(request.resource_url(request.root, step))
    return {"form": form.render(), "came_from": came_from}


@view_config(context=Root, name="login-code", renderer="portal.accounts:templates/form_page.jinja2",
             permission=NO_PERMISSION_REQUIRED)
def login_code_view(context, request):
    """The second step: a TOTP code or a recovery code, counted like passwords by the lockout."""
    user = pending_user(request)
    if user is None:
        return HTTPFound(request.resource_url(request.root, "login"))
    form = make_form(request, CodeSchema(), buttons=(_("Verify"),))
    if request.method == "POST":
        appstruct = validate(form, request)
        if appstruct is None:
            request.response.status_int = 400
        else:
            dbsession, now, throttle = request.dbsession, request.now, throttle_of(request)
            email, ip = user.email.lower(), signin.client_ip(request)
            wait = signin.retry_after(dbsession, throttle, now, email=email, ip=ip)
            if wait:
                signin.record_for(request, signin.LOCKED_OUT, user=user)
                refused(request, form, wait)
            else:
                used = signin.check_second_factor(dbsession, user, appstruct["code"], now)
                if used is not None:
                    if used == "recovery":
                        signin.record_for(request, signin.RECOVERY_CODE_USED, user=user)
                    return complete_sign_in(request, user, request.session.get(PENDING_CAME_FROM))
                signin.count_failure(dbsession, now, email=email, ip=ip)
                signin.record_for(request, signin.TWO_FACTOR_FAILED, user=user)
                request.response.status_int = 400
                set_field_error(form, "code", RuleViolation("two_factor_invalid").message)
    return form_page(request, form, _("Two-factor sign-in"), _(
        "two_factor_step_help", default="Enter the code of your authenticator app for ${email}.",
        mapping={"email": user.email}))


def qr_svg(uri):
    """The QR code as inline SVG, drawn on the server (no script, no image from elsewhere)."""
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff")


@view_config(context=Root, name="two-factor", renderer="portal.accounts:templates/two_factor.jinja2",
             permission=NO_PERMISSION_REQUIRED)
def two_factor_view(context, request):
    """Enrolment (from the password page, or forced at sign-in when an admin requires it for staff):
    a QR code and the key to type, confirmed with a code; the recovery codes are shown once."""
    forced = request.user is None
    user = request.user or pending_user(request, enrolment=True)
    if user is None:
        return HTTPFound(request.resource_url(request.root, "login"))
    dbsession = request.dbsession
    if user.totp_enabled_at is not None:
        return {"user": user, "enabled": True, "codes_left": signin.recovery_codes_left(dbsession, user),
                "required": signin.two_factor_required(dbsession, user), "forced": False}
    form = make_form(request, CodeSchema(), buttons=(_("Turn on two-factor sign-in"),))
    if request.method == "POST" and user.totp_secret:
        appstruct = validate(form, request)
        if appstruct is not None:
            try:
                codes = signin.confirm_enrolment(dbsession, user, appstruct["code"], request.now)
            except RuleViolation as violation:
                set_field_error(form, "code", violation.message)
            else:
                signin.record_for(request, signin.TWO_FACTOR_ENABLED, user=user)
                response = {"user": user, "recovery_codes": codes, "forced": forced, "continue_url": None}
                if forced:  # signed in now; the session's new cookie goes with this page
                    response["continue_url"] = complete_sign_in(
                        request, user, request.session.get(PENDING_CAME_FROM)).location
                return response
        request.response.status_int = 400
    elif not user.totp_secret or request.method == "GET":
        signin.start_enrolment(user)
    return {"user": user, "enabled": False, "forced": forced, "form": form.render(), "secret": user.totp_secret,
            "qr": qr_svg(signin.provisioning_uri(user))}


@view_config(context=Root, name="two-factor-off", request_method="POST", permission=P.AUTHENTICATED)
def two_factor_off_view(context, request):
    """Turning it off takes a current code (a stolen session alone cannot); not for roles that must use it."""
    user, dbsession = request.user, request.dbsession
    if user.totp_enabled_at is None:
        return HTTPFound(request.resource_url(request.root, "password"))
    if signin.two_factor_required(dbsession, user):
        raise RuleViolation("two_factor_required")
    if signin.check_second_factor(dbsession, user, request.POST.get("code", ""), request.now) is None:
        raise RuleViolation("two_factor_invalid", field="code")
    signin.turn_off_two_factor(dbsession, user)
    signin.record_for(request, signin.TWO_FACTOR_DISABLED, user=user)
    flash(request, _("two_factor_turned_off", default="Two-factor sign-in is off."))
    return HTTPFound(request.resource_url(request.root, "password"))


@view_config(context=Root, name="end-other-sessions", request_method="POST", permission=P.AUTHENTICATED)
def end_other_sessions_view(context, request):
    ended = signin.end_other_sessions(request.dbsession, request.user,
                                      digest_of(request.session.get(SESSION_KEY, "")), request.now)
    signin.record_for(request, signin.SESSIONS_ENDED, user=request.user)
    flash(request, _("other_sessions_ended", default="Other sessions ended: ${count}.", mapping={"count": ended}))
    return HTTPFound(request.resource_url(request.root, "password"))


def public_url(request):
    """Where links in mails point: ``portal.public_url``, else this request's own address (set the
    setting in production: a forged Host header must not choose the link's host)."""
    return request.registry.settings.get("portal.public_url") or request.application_url


@view_config(context=Root, name="forgot-password", renderer="portal.accounts:templates/form_page.jinja2",
             permission=NO_PERMISSION_REQUIRED)
def forgot_password_view(context, request):
    """The same answer whether or not a user has the address: nobody learns who has a login here."""
    form = make_form(request, ForgottenPasswordSchema(), buttons=(_("Send the link"),))
    if request.method == "POST":
        appstruct = validate(form, request)
        if appstruct is not None:
            email = appstruct["email"].strip().lower()
            user = request_reset(request.dbsession, email, request.now, public_url(request))
            signin.record_for(request, signin.RESET_REQUESTED, user=user, email=email)
            flash(request, _("reset_mail_sent", default="If a login has this address, a mail with a link to "
                             "choose a new password is on its way. The link works once, for one hour."))
            return HTTPFound(request.resource_url(request.root, "login"))
        request.response.status_int = 400
    return form_page(request, form, _("Forgotten password"), _(
        "forgot_password_help", default="Write the e-mail address you log in with: we will send you a link to "
        "choose a new password."))


@view_config(context=Root, name="reset-password", renderer="portal.accounts:templates/form_page.jinja2",
             permission=NO_PERMISSION_REQUIRED)
def reset_password_view(context, request):
    from portal.accounts.passwords import usable_reset

    token = request.params.get("token", "")
    usable_reset(request.dbsession, token, request.now)  # an invalid link: 410 before any form
    form = make_form(request, PasswordResetSchema(), buttons=(_("Change password"),))
    if request.method == "POST":
        appstruct = validate(form, request)
        if appstruct is not None:
            try:
                user = reset_password(request.dbsession, appstruct["token"], appstruct["new_password"], request.now)
            except RuleViolation as violation:
                if violation.field is None:
                    raise
                set_field_error(form, violation.field, violation.message)
            else:
                signin.record_for(request, signin.PASSWORD_RESET, user=user)
                flash(request, _("password_reset_done", default="Your password has been changed: log in with it."))
                return HTTPFound(request.resource_url(request.root, "login"))
        request.response.status_int = 400
    else:
        form.set_appstruct({"token": token})
    return form_page(request, form, _("Choose a new password"), _(
        "reset_password_help", default="At least 12 characters, not one of the most common passwords. Your "
        "sessions on other devices will be closed."))


# --- The admins' audit ----------------------------------------------------------------------------


class SignInLog(Resource):
    """/sign-ins: everyone's sign-ins, failures and lockouts; unlocking and two-factor resets."""

    __acl__ = [(Allow, "role:admin", (P.SEE_SIGN_INS, P.MANAGE_SIGN_IN))]


def parse_day(text, field):
    """A day (midnight UTC) or a time (UTC when it has no offset), or None."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise RuleViolation("validation_error", _("invalid_date", default="Not a valid date."), field)
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def event_filters(request):
    params = request.params
    event = params.get("event") or None
    if event is not None and event not in signin.EVENTS:
        raise RuleViolation("validation_error", _("unknown_event", default="Unknown event."), "event")
    until = parse_day(params.get("to", ""), "to")
    if until is not None and len(params.get("to", "")) <= 10:
        until += timedelta(days=1)  # "to" a day: that day included
    return {"email": params.get("email") or None, "event": event, "ip": params.get("ip") or None,
            "since": parse_day(params.get("from", ""), "from"), "until": until}


def event_json(event, emails):
    return {"at": event.at.isoformat(), "event": event.event, "email": event.email, "user_id": event.user_id,
            "ip": event.ip, "user_agent": event.user_agent,
            "actor": emails.get(event.actor_id) if event.actor_id else None}


def actor_emails(dbsession, events):
    from sqlalchemy import select

    ids = {event.actor_id for event in events if event.actor_id}
    if not ids:
        return {}
    return dict(dbsession.execute(select(signin.User.id, signin.User.email).where(signin.User.id.in_(ids))).all())


@view_config(context=SignInLog, request_method="GET", permission=P.SEE_SIGN_INS,
             renderer="portal.accounts:templates/sign_ins.jinja2")
def sign_ins_page(context, request):
    dbsession = request.dbsession
    try:
        filters = event_filters(request)
        error = None
    except RuleViolation as violation:
        filters, error = {}, translate(request, violation.message)
    events = signin.search_events(dbsession, limit=EVENT_LIMIT, **filters)
    return {"events": events, "actors": actor_emails(dbsession, events), "error": error,
            "params": request.params, "event_names": signin.EVENTS,
            "locked": signin.locked_accounts(dbsession, throttle_of(request), request.now),
            "require_staff": signin.setting_on(dbsession, signin.REQUIRE_TWO_FACTOR_FOR_STAFF)}


@api_view(context=SignInLog, request_method="GET", permission=P.SEE_SIGN_INS)
def sign_ins_api(context, request):
    events = signin.search_events(request.dbsession, limit=EVENT_LIMIT, **event_filters(request))
    emails = actor_emails(request.dbsession, events)
    return {"items": [event_json(event, emails) for event in events]}


def target_user(request):
    user = signin.user_by_email(request.dbsession, request.POST.get("email", ""))
    if user is None:
        raise RuleViolation("not_found", _("no_such_user", default="No user has this e-mail."), "email")
    return user


def unlock_target(request):
    """The e-mail (as counted: it may belong to nobody) and the address an admin unlocks, checked like
    any input: they are stored in the audit and echoed in the confirmation."""
    email = request.POST.get("email", "").strip().lower()
    if not email or len(email) > EMAIL_LENGTH or "@" not in email:
        raise RuleViolation("validation_error", _("unlock_email_invalid", default="Give the e-mail address to "
                                                  "unlock (at most 254 characters)."), "email")
    ip = request.POST.get("ip", "").strip() or None
    if ip is not None:
        try:
            ip = str(ipaddress.ip_address(ip))
        except ValueError:
            raise RuleViolation("validation_error", _("unlock_ip_invalid", default="Not an IP address."), "ip")
    return email, ip


@view_config(context=SignInLog, name="unlock", request_method="POST", permission=P.MANAGE_SIGN_IN)
def unlock_view(context, request):
    email, ip = unlock_target(request)
    user = signin.user_by_email(request.dbsession, email)
    signin.forget_failures(request.dbsession, throttle_of(request), request.now, email=email, ip=ip)
    signin.record_for(request, signin.UNLOCKED, user=user, email=email, actor=request.user)
    flash(request, _("account_unlocked", default="${email} can log in again.", mapping={"email": email}))
    return HTTPFound(request.resource_url(context))


@view_config(context=SignInLog, name="reset-two-factor", request_method="POST", permission=P.MANAGE_SIGN_IN)
def reset_two_factor_view(context, request):
    """A lost device: two-factor sign-in off for the user, who enrols again (at once, if required)."""
    user = target_user(request)
    signin.turn_off_two_factor(request.dbsession, user)
    signin.record_for(request, signin.TWO_FACTOR_RESET, user=user, actor=request.user)
    flash(request, _("two_factor_reset_done", default="Two-factor sign-in of ${email} is reset.",
                     mapping={"email": user.email}))
    return HTTPFound(request.resource_url(context))


@view_config(context=SignInLog, name="two-factor-policy", request_method="POST", permission=P.MANAGE_SIGN_IN)
def two_factor_policy_view(context, request):
    required = request.POST.get("require_staff") == "on"
    signin.set_setting(request.dbsession, signin.REQUIRE_TWO_FACTOR_FOR_STAFF, required)
    flash(request, _("two_factor_policy_saved", default="Saved."))
    return HTTPFound(request.resource_url(context))


def includeme(config):
    config.add_resource_child(Root, "sign-ins", SignInLog)
    config.scan("portal.accounts.signin_views")

