"""Subscribing to a private calendar feed from the agent's or the zone's folder."""

from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config

from agents.resources import AgentFolder, ZoneFolder
from campaigns.resources import client_of
from portal import permissions as P
from portal.i18n import _
from callcenter.feeds.services import issue_feed, revoke_feed, scope_of
from callcenter.folders.extras import feed_panel
from callcenter.folders.views import folder_page


@view_config(context=AgentFolder, name="calendar-feed", request_method="POST", permission=P.CALENDAR_FEED,
             renderer="callcenter.folders:templates/folder.jinja2")
@view_config(context=ZoneFolder, name="calendar-feed", request_method="POST", permission=P.CALENDAR_FEED,
             renderer="callcenter.folders:templates/folder.jinja2")
def calendar_feed_action(context, request):
    """Create (or regenerate) the user's private URL, shown once in the page; or revoke it."""
    scope = scope_of(context)
    if request.POST.get("action") == "revoke":
        if revoke_feed(request.dbsession, request.user, scope, now=request.now):
            request.session.flash(request.localizer.translate(
                _("feed_revoked", default="The calendar link has been revoked: it no longer works.")), "success")
        return HTTPFound(request.resource_url(context, anchor="calendar-feed"))
    feed, secret = issue_feed(request.dbsession, request.user, client_of(context), scope, now=request.now)
    return dict(folder_page(context, request), feed=feed_panel(request, context, secret))


@view_config(context=AgentFolder, name="calendar-feed", request_method="GET", permission=P.VIEW)
@view_config(context=ZoneFolder, name="calendar-feed", request_method="GET", permission=P.VIEW)
def calendar_feed_page(context, request):
    return HTTPFound(request.resource_url(context, anchor="calendar-feed"))


def includeme(config):
    config.scan(__name__)
