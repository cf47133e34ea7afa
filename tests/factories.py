"""Small builders for test data, going through the services like the app does."""
from datetime import time
from itertools import count

from agents.services import create_agent, create_user, create_zone
from campaigns.services import add_step, confirm_step, create_campaign, create_client
from portal.accounts.models import ApiToken
from tests.conftest import NOW

PASSWORD = "correct horse battery"
_serial = count(1)
WEEKDAYS_9_TO_18 = [{"weekday": day, "start": time(9), "end": time(18)} for day in range(5)]


def make_user(dbsession, role, email=None, **kw):
    email = email or f"{role.replace('_', '-')}-{next(_serial)}@example.test"
    return create_user(dbsession, email=email, password=kw.pop("password", PASSWORD), role=role, **kw)


def make_client(dbsession, slug=None, account_manager=None, **kw):
    slug = slug or f"client-{next(_serial)}"
    return create_client(dbsession, slug=slug, name=kw.pop("name", slug.title()), account_manager=account_manager, **kw)


def make_campaign(dbsession, client, purchased=10, slug=None, **kw):
    campaign = create_campaign(dbsession, client, slug=slug or f"campaign-{next(_serial)}",
                               name=kw.pop("name", "Campaign"), **kw)
    if purchased:
        confirm_step(dbsession, add_step(dbsession, campaign, quantity=purchased, now=NOW), now=NOW)
        dbsession.refresh(campaign)
    return campaign


def make_zone(dbsession, client, slug=None, **kw):
    slug = slug or f"zone-{next(_serial)}"
    return create_zone(dbsession, client, slug=slug, name=kw.pop("name", slug.title()), **kw)


def make_agent(dbsession, client, zones=(), slug=None, **kw):
    slug = slug or f"agent-{next(_serial)}"
    return create_agent(dbsession, client, slug=slug, name=kw.pop("name", slug.title()),
                        zones=[zone.slug for zone in zones], schedule=kw.pop("schedule", WEEKDAYS_9_TO_18), **kw)


def make_token(dbsession, user):
    token, secret = ApiToken.issue(user)
    dbsession.add(token)
    dbsession.flush()
    return secret


class Tenant:
    """A client with a zone, two agents, a campaign and a login of every role."""

    def __init__(self, dbsession, purchased=10, slug=None):
        self.account_manager = make_user(dbsession, "account_manager")
        self.client = make_client(dbsession, slug=slug, account_manager=self.account_manager)
        self.zone = make_zone(dbsession, self.client, postal_codes=["20121"], provinces=["MI"])
        self.other_zone = make_zone(dbsession, self.client, postal_codes=["10121"])
        self.agent = make_agent(dbsession, self.client, zones=[self.zone])
        self.other_agent = make_agent(dbsession, self.client, zones=[self.other_zone])
        self.campaign = make_campaign(dbsession, self.client, purchased=purchased)
        self.client_user = make_user(dbsession, "client", client=self.client)
        self.zone_manager = make_user(dbsession, "zone_manager", client=self.client, zones=[self.zone])
        self.agent_user = make_user(dbsession, "agent", client=self.client, agent=self.agent)
        self.operator = make_user(dbsession, "operator")
        self.admin = make_user(dbsession, "admin")

    def user(self, role):
        return {
            "client": self.client_user,
            "zone_manager": self.zone_manager,
            "agent": self.agent_user,
            "operator": self.operator,
            "account_manager": self.account_manager,
            "admin": self.admin,
        }[role]
