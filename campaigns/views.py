"""Clients, campaigns and steps: the staff's list page and the API (spec §9.1)."""
from pyramid.view import view_config
from sqlalchemy import select

from campaigns import schemas, services
from campaigns.models import Campaign, Client
from campaigns.resources import (
    CampaignContainer,
    CampaignFolder,
    ClientContainer,
    ClientFolder,
    FieldContainer,
    StepContainer,
    StepResource,
    permitted_client_ids,
)
from campaigns.serialize import campaign_json, client_json, field_json, step_json
from portal import permissions as P
from portal.api.plumbing import api_view, parse
from portal.errors import RuleViolation
from portal.i18n import _
from portal.listing import page_of_query, search_text, where_words
from portal.accounts.models import User


def visible_clients(request, search=None):
    """The query of the clients whose folder the user may see (an account manager: the portfolio), those
    whose name or short name has every word of ``search``, by name."""
    query = select(Client).order_by(Client.name, Client.id)
    client_ids = permitted_client_ids(request, P.VIEW)
    if client_ids is not None:
        query = query.where(Client.id.in_(client_ids))
    return where_words(query, search, (Client.name, Client.slug))


@view_config(context=ClientContainer, permission=P.LIST_CLIENTS, renderer="campaigns:templates/clients.jinja2")
def clients_page(context, request):
    """The clients, searched by name and in pages counted and cut by the database; the counts only for the
    page shown."""
    search = search_text(request)
    listing = page_of_query(request, request.dbsession, visible_clients(request, search))
    counts = services.counts_by_client(request.dbsession, [client.id for client in listing["items"]])
    return {"clients": listing["items"], "counts": counts, "search": search, **listing}


@api_view(context=ClientContainer, request_method="GET", permission=P.LIST_CLIENTS)
def clients_list(context, request):
    return {"items": [client_json(client) for client in request.dbsession.execute(visible_clients(request)).scalars()]}


@api_view(context=ClientContainer, request_method="POST", permission=P.CREATE_CLIENT)
def client_create(context, request):
    data = parse(request, schemas.ClientCreate())
    account_manager = _account_manager(request, data.pop("account_manager"))
    client = services.create_client(request.dbsession, account_manager=account_manager, **data)
    request.response.status_int = 201
    return client_json(client, services.client_counts(request.dbsession, client.id))


def _account_manager(request, email):
    """An account manager creates clients in his/her own portfolio; an admin names one."""
    if email is None:
        return request.user if request.user.role == "account_manager" else None
    user = _named_account_manager(request, email)
    if request.user.role == "account_manager" and user.id != request.user.id:
        raise RuleViolation("forbidden", field="account_manager")
    return user


def _named_account_manager(request, email):
    user = request.dbsession.execute(select(User).where(User.email == email.lower())).scalar_one_or_none()
    if user is None or user.role != "account_manager":
        raise RuleViolation(
            "validation_error", _("unknown_account_manager", default="No account manager has this e-mail."),
            "account_manager",
        )
    return user


@api_view(context=ClientFolder, request_method="GET", permission=P.VIEW)
def client_get(context, request):
    return client_json(context.client, services.client_counts(request.dbsession, context.client.id))


@api_view(context=ClientFolder, request_method="PATCH", permission=P.MANAGE)
def client_update(context, request):
    """Only an admin (``manage`` on the root) hands a client to another account manager, or to none."""
    changes = parse(request, schemas.ClientUpdate())
    if "account_manager" in changes:
        email = changes["account_manager"]
        manager = _named_account_manager(request, email) if email is not None else None
        if (manager.id if manager else None) != context.client.account_manager_id \
                and not request.has_permission(P.MANAGE, request.root):
            raise RuleViolation("forbidden", field="account_manager")
        changes["account_manager"] = manager
    client = services.update_client(request.dbsession, context.client, actor=request.user, now=request.now, **changes)
    return client_json(client, services.client_counts(request.dbsession, client.id))


@api_view(context=CampaignContainer, request_method="GET", permission=P.VIEW)
def campaigns_list(context, request):
    client = context.__parent__.client
    campaigns = request.dbsession.execute(
        select(Campaign).where(Campaign.client_id == client.id).order_by(Campaign.name)
    ).scalars().all()
    return {"items": [campaign_json(campaign) for campaign in campaigns]}


@api_view(context=CampaignContainer, request_method="POST", permission=P.MANAGE)
def campaign_create(context, request):
    data = parse(request, schemas.CampaignCreate())
    campaign = services.create_campaign(request.dbsession, context.__parent__.client, **data)
    request.response.status_int = 201
    return campaign_json(campaign)


@api_view(context=CampaignFolder, request_method="GET", permission=P.VIEW)
def campaign_get(context, request):
    return campaign_json(context.campaign)


@api_view(context=CampaignFolder, request_method="PATCH", permission=P.MANAGE)
def campaign_update(context, request):
    settings = parse(request, schemas.CampaignSettings())
    return campaign_json(services.update_campaign_settings(context.campaign, **settings))


@api_view(context=FieldContainer, request_method="GET", permission=P.VIEW)
def fields_list(context, request):
    return {"items": [field_json(field) for field in context.__parent__.campaign.fields]}


@api_view(context=FieldContainer, request_method="POST", permission=P.MANAGE)
def field_create(context, request):
    data = parse(request, schemas.FieldCreate())
    field = services.add_campaign_field(request.dbsession, context.__parent__.campaign, **data)
    request.response.status_int = 201
    return field_json(field)


@api_view(context=StepContainer, request_method="GET", permission=P.VIEW)
def steps_list(context, request):
    steps = services.campaign_steps(request.dbsession, context.__parent__.campaign)
    return {"items": [step_json(step) for step in steps]}


@api_view(context=StepContainer, request_method="POST", permission=P.MANAGE)
def step_create(context, request):
    data = parse(request, schemas.StepCreate())
    step = services.add_step(request.dbsession, context.__parent__.campaign, created_by=request.user,
                             now=request.now, **data)
    request.response.status_int = 201
    return step_json(step)


@api_view(context=StepResource, request_method="GET", permission=P.VIEW)
def step_get(context, request):
    return step_json(context.step)


@api_view(context=StepResource, request_method="PATCH", permission=P.MANAGE)
def step_update(context, request):
    step = context.step
    terms = {"quantity": step.quantity, "valid_from": step.valid_from, "valid_to": step.valid_to,
             "description": step.description}
    terms.update(parse(request, schemas.StepUpdate()))
    return step_json(services.update_step(request.dbsession, step, now=request.now, actor=request.user, **terms))


@api_view(context=StepResource, request_method="DELETE", permission=P.MANAGE)
def step_delete(context, request):
    services.delete_step(request.dbsession, context.step, now=request.now, actor=request.user)
    request.response.status_int = 204
    return request.response


@api_view(context=StepResource, name="confirm", request_method="POST", permission=P.MANAGE)
def step_confirm(context, request):
    step = services.confirm_step(request.dbsession, context.step, now=request.now, actor=request.user)
    return step_json(step)


def includeme(config):
    # The staff who follow the quotas land on the dashboard of their portfolio (spec §6).
    config.add_home_resolver("admin", lambda request, user: request.resource_url(request.root, "dashboard"))
    config.add_home_resolver("account_manager", lambda request, user: request.resource_url(request.root, "dashboard"))
    config.scan("campaigns.views")
    config.scan("campaigns.pages")
