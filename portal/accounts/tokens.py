"""Personal API tokens: a user creates and revokes them in the profile (spec §9)."""
import colander
import deform
from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config
from sqlalchemy import select

from portal import permissions as P
from portal.forms import make_form, validate
from portal.i18n import _
from portal.accounts.models import ApiToken
from portal.resources import Root, as_number
from portal.forms import CSRFSchema


class TokenCreate(CSRFSchema):
    label = colander.SchemaNode(
        colander.String(),
        title=_("Label"),
        description=_("token_label_help", default="What the token is for, e.g. the dialer's name."),
        validator=colander.Length(min=1, max=100),
        widget=deform.widget.TextInputWidget(),
    )


def user_tokens(request):
    return request.dbsession.execute(
        select(ApiToken).where(ApiToken.user_id == request.user.id).order_by(ApiToken.created_at.desc())
    ).scalars().all()


@view_config(context=Root, name="tokens", permission=P.AUTHENTICATED, renderer="portal.accounts:templates/tokens.jinja2")
def tokens_page(context, request):
    form = make_form(request, TokenCreate(), buttons=(_("Create token"),))
    secret = None
    if request.method == "POST":
        appstruct = validate(form, request)
        if appstruct is None:
            request.response.status_int = 400
        else:
            token, secret = ApiToken.issue(request.user, label=appstruct["label"])
            request.dbsession.add(token)
            request.dbsession.flush()
            form = make_form(request, TokenCreate(), buttons=(_("Create token"),))
    return {"form": form.render(), "tokens": user_tokens(request), "secret": secret}


@view_config(context=Root, name="revoke-token", request_method="POST", permission=P.AUTHENTICATED)
def revoke_token(context, request):
    """Only the owner's own tokens can be found here, so nobody revokes another's."""
    token_id = as_number(request.POST.get("token", ""))
    token = None
    if token_id is not None:
        token = request.dbsession.execute(
            select(ApiToken).where(ApiToken.user_id == request.user.id, ApiToken.id == token_id)
        ).scalar_one_or_none()
    if token is not None and token.revoked_at is None:
        token.revoked_at = request.now
        revoked = _("token_revoked", default="The token has been revoked.")
        request.session.flash(request.localizer.translate(revoked), "success")
    return HTTPFound(request.resource_url(request.root, "tokens"))


def includeme(config):
    config.scan("portal.accounts.tokens")
