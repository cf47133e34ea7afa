"""The signed-in user's own account: the password change (with the recent sign-ins and other sessions
beside it) and the logout."""
from pyramid.httpexceptions import HTTPFound
from pyramid.security import NO_PERMISSION_REQUIRED, forget, remember
from pyramid.view import view_config

from portal.accounts import signin
from portal.accounts.passwords import password_policy
from portal.accounts.schemas import PasswordChangeSchema
from portal.accounts.security import check_password, end_sessions, hash_password
from portal.errors import RuleViolation
from portal.forms import make_form, set_field_error, validate
from portal.i18n import _
from portal.resources import Root


@view_config(context=Root, name="logout", request_method="POST", permission=NO_PERMISSION_REQUIRED)
def logout_view(context, request):
    if request.user is not None:
        signin.record_for(request, signin.SIGNED_OUT, user=request.user)
    return HTTPFound(request.resource_url(request.root, "login"), headers=forget(request))


@view_config(context=Root, name="password", renderer="portal.accounts:templates/password.jinja2",
             permission="authenticated")
def password_view(context, request):
    form = make_form(request, PasswordChangeSchema(), buttons=(_("Change password"),))
    if request.method == "POST":
        appstruct = validate(form, request)
        if appstruct is not None:
            user = request.user
            if not check_password(user, appstruct["current_password"]):
                set_field_error(form, "current_password", _("wrong_password", default="The current password is wrong."))
            else:
                try:
                    password_policy(appstruct["new_password"], "new_password", user.email)
                except RuleViolation as violation:
                    set_field_error(form, violation.field, violation.message)
                else:
                    user.password_hash = hash_password(appstruct["new_password"])
                    end_sessions(request.dbsession, user.id, request.now)  # a stolen cookie included
                    remember(request, user.id)
                    signin.record_for(request, signin.PASSWORD_CHANGED, user=user)
                    request.session.flash(
                        request.localizer.translate(_("password_changed", default="Your password has been changed.")),
                        "success",
                    )
                    return HTTPFound(request.resource_url(request.root))
        request.response.status_int = 400
    return {"form": form.render(), **recent_sign_ins(request)}


def recent_sign_ins(request):
    """What the password page shows the user about his/her own account."""
    user = request.user
    return {"events": signin.recent_events(request.dbsession, user),
            "open_sessions": signin.open_sessions(request.dbsession, user),
            "two_factor": user.totp_enabled_at is not None,
            "two_factor_required": signin.two_factor_required(request.dbsession, user)}


def includeme(config):
    config.scan("portal.accounts.profile")
