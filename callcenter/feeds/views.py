"""The feed itself: the iCalendar document of its appointments."""

from pyramid.response import Response
from pyramid.view import view_config

from portal import permissions as P
from callcenter.feeds.resources import FeedResource
from callcenter.feeds.services import build_calendar, feed_appointments, revisions


@view_config(context=FeedResource, permission=P.READ_FEED, request_method="GET")
def feed_view(context, request):
    now = request.now
    appointments = feed_appointments(request.dbsession, context.feed, now)
    body = build_calendar(request, context.feed, appointments,
                          revisions(request.dbsession, [appointment.id for appointment in appointments]), now)
    response = Response(body=body, content_type="text/calendar", charset="utf-8")
    response.headers["Content-Disposition"] = 'inline; filename="appointments.ics"'
    response.cache_control = "private, max-age=300"
    return response


def includeme(config):
    config.include("callcenter.feeds.resources")
    config.scan(__name__)
