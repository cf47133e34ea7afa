"""/clients/{client}/zones/{zone}/ and /clients/{client}/agents/{agent}/ (spec §4)."""
from pyramid.authorization import Allow
from pyramid.decorator import reify
from sqlalchemy import bindparam, select

from agents.models import Agent, Zone
from campaigns.resources import ClientFolder
from portal import permissions as P
from portal.resources import Resource
from portal.accounts.security import principals_for

# Built once: every request below a zone or an agent runs one of them.
ZONE_BY_SLUG = select(Zone).where(Zone.client_id == bindparam("client_id"), Zone.slug == bindparam("slug"))
AGENT_BY_SLUG = select(Agent).where(Agent.client_id == bindparam("client_id"), Agent.slug == bindparam("slug"))


class ZoneContainer(Resource):
    def __getitem__(self, slug):
        zone = self.dbsession.execute(ZONE_BY_SLUG, {"client_id": self.__parent__.client.id, "slug": slug}
                                      ).scalar_one_or_none()
        if zone is None:
            raise KeyError(slug)
        return ZoneFolder(self.request, slug, self, zone)


class ZoneFolder(Resource):
    """The "sottocartella di zona": open to the zone's managers as well."""

    def __init__(self, request, name, parent, zone):
        super().__init__(request, name, parent)
        self.zone = zone

    @property
    def __acl__(self):
        return [(Allow, f"zone:{self.zone.id}", P.ZONE_MANAGER + (P.CALENDAR_FEED,))]

    @property
    def appointment_scope(self):
        return {"zone_id": self.zone.id}


class AgentContainer(Resource):
    def __getitem__(self, slug):
        agent = self.dbsession.execute(AGENT_BY_SLUG, {"client_id": self.__parent__.client.id, "slug": slug}
                                       ).scalar_one_or_none()
        if agent is None:
            raise KeyError(slug)
        return AgentFolder(self.request, slug, self, agent)


class AgentFolder(Resource):
    """The "sottocartella agente": the agent and the managers of his/her zones."""

    def __init__(self, request, name, parent, agent):
        super().__init__(request, name, parent)
        self.agent = agent

    @property
    def __acl__(self):
        acl = [(Allow, f"agent:{self.agent.id}", P.AGENT_FOLDER + (P.CALENDAR_FEED,))]
        acl += [(Allow, f"zone:{zone.id}", P.ZONE_MANAGER) for zone in self.agent.zones]
        return acl

    @reify  # a folder page reads it for its counts, its list and its changes
    def appointment_scope(self):
        """The agent's appointments; a zone manager sees only those of the zones he/she manages
        (an agent may work in several zones, and the other zones' managers see the rest)."""
        scope = {"agent_id": self.agent.id}
        managed = self.managed_zone_ids()
        if managed is not None:
            scope["zone_id"] = managed
        return scope

    def managed_zone_ids(self):
        """None when the user sees the whole agent (the agent, the client's users, staff),
        else the ids of the agent's zones the user manages."""
        user = self.request.user
        principals = set(principals_for(user)) if user is not None else set()
        if f"agent:{self.agent.id}" in principals or self.request.has_permission(P.VIEW, self.__parent__.__parent__):
            return None
        return [zone.id for zone in self.agent.zones if f"zone:{zone.id}" in principals]


def includeme(config):
    config.add_resource_child(ClientFolder, "zones", ZoneContainer)
    config.add_resource_child(ClientFolder, "agents", AgentContainer)
    _register_users(config)


class UserContainer(Resource):
    """/users: account managers create their clients' users; admins create anyone."""

    __acl__ = [(Allow, "role:account_manager", P.CREATE_USER)]


def _register_users(config):
    from portal.resources import Root

    config.add_resource_child(Root, "users", UserContainer)
