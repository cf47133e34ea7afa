"""Management pages (browser) of clients, campaigns and campaign fields (spec §6, account managers).

They call the same services as the API views, so the browser and the API refuse the same things;
a refusal goes beside its field, the transaction is doomed and the page answers 400.
"""
from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config
from sqlalchemy import select

from campaigns import schemas, services
from campaigns.models import CampaignField
from campaigns.resources import CampaignContainer, CampaignFolder, ClientContainer, ClientFolder, FieldContainer
from portal import permissions as P
from portal.errors import RuleViolation
from portal.forms import make_form, set_field_error, validate
from portal.i18n import _
from portal.accounts.models import User


def flash(request, message):
    request.session.flash(request.localizer.translate(message), "success")


def submit(request, form, perform, message, redirect):
    """Validate the POSTed form and run ``perform(appstruct)``; the redirect, or None with the errors shown."""
    appstruct = validate(form, request)
    if appstruct is not None:
        appstruct.pop("csrf_token", None)
        try:
            result = perform(appstruct)
        except RuleViolation as violation:
            request.tm.doom()
            set_field_error(form, violation.field, request.localizer.translate(violation.message))
        else:
            flash(request, message)
            return HTTPFound(redirect(result))
    request.response.status_int = 400
    return None


def form_page(request, form, perform, message, redirect, appstruct=None):
    """GET renders the form (with ``appstruct``); POST saves and redirects, or re-renders with the errors."""
    if request.method == "POST":
        done = submit(request, form, perform, message, redirect)
        if done is not None:
            return done, None
        return None, form.render()
    return None, form.render(appstruct or {})


def crumb(request, resource, label):
    return {"url": request.resource_url(resource), "label": label}


# --- Clients ---------------------------------------------------------------------------------------------


@view_config(context=ClientContainer, name="add", permission=P.CREATE_CLIENT,
             renderer="campaigns:templates/manage_form.jinja2")
def client_add_page(context, request):
    """An account manager's new client joins his/her portfolio; an admin chooses the account manager, or none."""
    chooses = request.has_permission(P.MANAGE, request.root)
    schema = schemas.ClientForm()
    account_managers = []
    if chooses:
        account_managers = active_account_managers(request)
    else:
        del schema["account_manager"]
    form = make_form(request, schema, buttons=(_("Create"),), account_managers=account_managers)

    def perform(appstruct):
        chosen = appstruct.pop("account_manager", "")
        manager = (next(user for user in account_managers if str(user.id) == chosen) if chosen
                   else None) if chooses else request.user
        return services.create_client(request.dbsession, account_manager=manager, **appstruct)

    done, rendered = form_page(request, form, perform, _("client_created", default="Client created."),
                               lambda client: request.resource_url(context, client.slug))
    return done or {"title": _("New client"), "form": rendered,
                    "crumbs": [crumb(request, context, _("Clients"))]}


@view_config(context=ClientFolder, name="edit", permission=P.MANAGE, renderer="campaigns:templates/manage_form.jinja2")
def client_edit_page(context, request):
    """Name, time zone, country; an admin also hands the client to another account manager (or none)."""
    client = context.client
    chooses = request.has_permission(P.MANAGE, request.root)
    schema = schemas.ClientEditForm()
    account_managers = active_account_managers(request) if chooses else []
    if not chooses:
        del schema["account_manager"]
    form = make_form(request, schema, buttons=(_("Save"),), account_managers=account_managers)

    def perform(appstruct):
        if chooses:
            chosen = appstruct.pop("account_manager", "")
            appstruct["account_manager"] = next(user for user in account_managers if str(user.id) == chosen) \
                if chosen else None
        return services.update_client(request.dbsession, client, actor=request.user, now=request.now, **appstruct)

    appstruct = {"name": client.name, "timezone": client.timezone, "country": client.country}
    if chooses:
        appstruct["account_manager"] = str(client.account_manager_id or "")
    done, rendered = form_page(request, form, perform, _("client_saved", default="Client saved."),
                               lambda _client: request.resource_url(context), appstruct=appstruct)
    return done or {"title": _("Edit the client"), "form": rendered, "crumbs": [client_crumb(request, context)],
                    "warning": _("client_timezone_warning",
                                 default="Changing the time zone keeps every appointment at the same instant: "
                                         "their times shown in the client's time zone change, and the agents' "
                                         "weekly schedules are read in the new time zone.")}


def active_account_managers(request):
    return request.dbsession.execute(
        select(User).where(User.role == "account_manager", User.active.is_(True)).order_by(User.name, User.email)
    ).scalars().all()


# --- Campaigns ---------------------------------------------------------------------------------------------


def client_crumb(request, folder):
    return crumb(request, folder, folder.client.name)


@view_config(context=CampaignContainer, name="add", permission=P.MANAGE,
             renderer="campaigns:templates/manage_form.jinja2")
def campaign_add_page(context, request):
    folder = context.__parent__
    form = make_form(request, schemas.CampaignForm(), buttons=(_("Create"),))
    done, rendered = form_page(
        request, form, lambda appstruct: services.create_campaign(request.dbsession, folder.client, **appstruct),
        _("campaign_created", default="Campaign created: add its first step."),
        lambda campaign: request.resource_url(context) + campaign.slug + "/#steps")
    return done or {"title": _("New campaign"), "form": rendered, "crumbs": [client_crumb(request, folder)],
                    "intro": _("campaign_add_intro", default="The quota comes from its steps, added next.")}


@view_config(context=CampaignFolder, name="settings", permission=P.MANAGE,
             renderer="campaigns:templates/manage_form.jinja2")
def campaign_settings_page(context, request):
    campaign = context.campaign
    form = make_form(request, schemas.CampaignSettingsForm(), buttons=(_("Save"),))
    names = [child.name for child in form.schema.children if child.name != "csrf_token"]
    done, rendered = form_page(
        request, form, lambda appstruct: services.update_campaign_settings(campaign, **appstruct),
        _("campaign_saved", default="Campaign settings saved: they apply to bookings made from now on."),
        lambda _campaign: request.resource_url(context),
        appstruct={name: getattr(campaign, name) for name in names if getattr(campaign, name) is not None})
    return done or {"title": _("Campaign settings"), "form": rendered,
                    "crumbs": [client_crumb(request, context.__parent__.__parent__),
                               crumb(request, context, campaign.name)],
                    "intro": _("campaign_settings_intro",
                               default="Changes apply to bookings made from now on; booked appointments stay as they are.")}


# --- Campaign fields (rule 14) ----------------------------------------------------------------------------------


@view_config(context=FieldContainer, permission=P.MANAGE, renderer="campaigns:templates/fields.jinja2")
def fields_page(context, request):
    folder = context.__parent__
    campaign = folder.campaign
    form = make_form(request, schemas.FieldForm(), buttons=(_("Add"),))
    done, rendered = form_page(
        request, form, lambda appstruct: services.add_campaign_field(request.dbsession, campaign, **appstruct),
        _("field_added", default="Field added: operators fill it in from their next booking."),
        lambda _field: request.resource_url(context), appstruct={"kind": "text"})
    if done is not None:
        return done
    fields = request.dbsession.execute(
        select(CampaignField).where(CampaignField.campaign_id == campaign.id).order_by(CampaignField.position)
    ).scalars().all()
    kinds = dict(form.schema["kind"].widget.values)
    return {"form": rendered, "fields": fields, "campaign": campaign, "folder": folder,
            "kind_labels": {kind: request.localizer.translate(label) for kind, label in kinds.items()},
            "crumbs": [client_crumb(request, folder.__parent__.__parent__), crumb(request, folder, campaign.name)]}


def includeme(config):
    config.scan("campaigns.manage_pages")
