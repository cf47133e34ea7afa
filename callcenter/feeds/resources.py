"""/feeds/<secret>.ics: the resource found for a secret is readable by anyone while the feed is active
and its owner may still subscribe to that folder; any other name is a plain 404."""

from pyramid.authorization import ACLHelper, Allow, Everyone
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from agents.resources import AgentContainer, AgentFolder, ZoneContainer, ZoneFolder
from callcenter.feeds.models import CalendarFeed
from campaigns.resources import client_folder
from portal import permissions as P
from portal.accounts.models import User
from portal.resources import Resource, Root
from portal.accounts.security import principals_for
from callcenter.feeds.services import SUFFIX, digest_of


class FeedContainer(Resource):
    """/feeds/: finds the active feed whose secret is the name, else a 404 like any unknown page."""

    def __getitem__(self, name):
        if not name.endswith(SUFFIX) or len(name) > 100:
            raise KeyError(name)
        feed = self.dbsession.execute(
            select(CalendarFeed)
            .options(joinedload(CalendarFeed.client), joinedload(CalendarFeed.agent),
                     joinedload(CalendarFeed.zone), joinedload(CalendarFeed.user).selectinload(User.zones))
            .where(CalendarFeed.digest == digest_of(name[:-len(SUFFIX)]), CalendarFeed.revoked_at.is_(None))
        ).unique().scalar_one_or_none()
        if feed is None or not feed.user.active or not self.owner_may_still_subscribe(feed):
            raise KeyError(name)
        return FeedResource(self.request, name, self, feed)

    def owner_may_still_subscribe(self, feed):
        """The folder's ACL decides, for the feed's owner: a zone manager moved off the zone, or an
        agent user tied to another agent, loses the feed without anyone having to revoke it."""
        folder = feed_folder(self.request, feed)
        return ACLHelper().permits(folder, principals_for(feed.user), P.CALENDAR_FEED)


def feed_folder(request, feed):
    clients = client_folder(request, feed.client)
    if feed.agent_id is not None:
        return AgentFolder(request, feed.agent.slug, AgentContainer(request, "agents", clients), feed.agent)
    return ZoneFolder(request, feed.zone.slug, ZoneContainer(request, "zones", clients), feed.zone)


class FeedResource(Resource):
    """A feed whose secret matched: anyone holding the URL reads it (that is what a secret URL is)."""

    __acl__ = [(Allow, Everyone, P.READ_FEED)]

    def __init__(self, request, name, parent, feed):
        super().__init__(request, name, parent)
        self.feed = feed


def includeme(config):
    config.add_resource_child(Root, "feeds", FeedContainer)
    config.scan("callcenter.feeds.services")
