"""/clients/{client}/ and /clients/{client}/campaigns/{campaign}/ (spec §4)."""
from types import SimpleNamespace

from pyramid.authorization import Allow
from pyramid.traversal import find_interface
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from campaigns.models import Campaign, Client, Step
from portal import permissions as P
from portal.resources import Resource, number_or_key_error

# Built once: every request below /clients/ runs it.
CLIENT_BY_SLUG = select(Client).where(Client.slug == bindparam("slug"))


class ClientContainer(Resource):
    """All clients: admins see them all, account managers their portfolio."""

    __acl__ = [
        (Allow, "role:account_manager", (P.LIST_CLIENTS, P.CREATE_CLIENT)),
        (Allow, "role:operator", P.LIST_CLIENTS),
    ]

    def __getitem__(self, slug):
        client = self.dbsession.execute(CLIENT_BY_SLUG, {"slug": slug}).scalar_one_or_none()
        if client is None:
            raise KeyError(slug)
        return ClientFolder(self.request, slug, self, client)


class ClientFolder(Resource):
    """The "cartella cliente": its users, the call-center and its account manager."""

    def __init__(self, request, name, parent, client):
        super().__init__(request, name, parent)
        self.client = client

    @property
    def __acl__(self):
        acl = [
            (Allow, f"client:{self.client.id}", P.CLIENT_USER),
            (Allow, "role:operator", P.OPERATOR),
            (Allow, P.TRUSTED_OPERATOR, P.BOOK_OUT_OF_SCHEDULE),
        ]
        if self.client.account_manager_id is not None:
            acl.append((Allow, f"user:{self.client.account_manager_id}", P.ACCOUNT_MANAGER))
        return acl

    @property
    def appointment_scope(self):
        return {"client_id": self.client.id}


def client_folder_of(resource):
    """The client folder ``resource`` lies in (any node below /clients/{client}/)."""
    return find_interface(resource, ClientFolder)


def client_of(resource):
    return client_folder_of(resource).client


def client_folder(request, client):
    """The folder resource of ``client``, to ask the ACL about it outside traversal."""
    return ClientFolder(request, client.slug, ClientContainer(request, "clients", request.root), client)


def permitted(request, permission, clients):
    """The clients on whose folder the user has ``permission``: lists follow the ACL too."""
    return [client for client in clients if request.has_permission(permission, client_folder(request, client))]


def permitted_client_ids(request, permission):
    """The ids of the clients on whose folder the user has ``permission``, or None for every client,
    so that a list filters in the database and cuts its pages there.

    The ACL is asked, never guessed: first about a client nobody is attached to (no client user, no
    account manager), which only a role-wide grant passes (operators, admins: every client), then
    about each client from its id and account manager alone (an account manager's portfolio)."""
    if request.has_permission(permission, client_folder(request, SimpleNamespace(id=None, slug="",
                                                                                   account_manager_id=None))):
        return None
    rows = request.dbsession.execute(select(Client.id, Client.slug, Client.account_manager_id)).all()
    return [row.id for row in rows if request.has_permission(permission, client_folder(request, row))]


# With its fields in the same statement (a campaign has a handful): a booking validates them, and
# would otherwise load them by a query of their own.
CAMPAIGN_BY_SLUG = (select(Campaign)
                    .where(Campaign.client_id == bindparam("client_id"), Campaign.slug == bindparam("slug"))
                    .options(joinedload(Campaign.fields)))


class CampaignContainer(Resource):
    def __getitem__(self, slug):
        client = self.__parent__.client
        campaign = self.dbsession.execute(CAMPAIGN_BY_SLUG, {"client_id": client.id, "slug": slug}
                                          ).unique().scalar_one_or_none()
        if campaign is None:
            raise KeyError(slug)
        return CampaignFolder(self.request, slug, self, campaign)


class CampaignFolder(Resource):
    def __init__(self, request, name, parent, campaign):
        super().__init__(request, name, parent)
        self.campaign = campaign

    @property
    def client(self):
        return self.campaign.client

    @property
    def appointment_scope(self):
        return {"campaign_id": self.campaign.id}


class FieldContainer(Resource):
    """The campaign's extra prospect fields (rule 14)."""


class StepContainer(Resource):
    def __getitem__(self, number):
        step = self.dbsession.execute(
            select(Step).where(Step.campaign_id == self.__parent__.campaign.id,
                               Step.number == number_or_key_error(number))
        ).scalar_one_or_none()
        if step is None:
            raise KeyError(number)
        return StepResource(self.request, number, self, step)


class StepResource(Resource):
    def __init__(self, request, name, parent, step):
        super().__init__(request, name, parent)
        self.step = step


def includeme(config):
    from portal.resources import Root

    config.add_resource_child(Root, "clients", ClientContainer)
    config.add_resource_child(ClientFolder, "campaigns", CampaignContainer)
    config.add_resource_child(CampaignFolder, "steps", StepContainer)
    config.add_resource_child(CampaignFolder, "fields", FieldContainer)
