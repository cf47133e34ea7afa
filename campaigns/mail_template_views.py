"""Mail templates of a client and of its campaigns (spec §8): pages for account managers and admins
(list of kinds, edit, preview with sample data, reset to the level above) and their API twin.

/clients/{client}/mail-templates/{kind} and /clients/{client}/campaigns/{campaign}/mail-templates/{kind};
who may manage the client may edit them (the client folder's ACL), nobody else.
"""
import colander
import deform
from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config

from campaigns import mail_templates as service
from campaigns.resources import CampaignFolder, ClientFolder, client_of
from portal import permissions as P
from portal.api.plumbing import api_view, parse
from portal.errors import RuleViolation
from portal.forms import set_field_error
from portal.i18n import _
from portal.mail.templates import BODY_MAX, KINDS, LANGUAGES, SUBJECT_MAX, check_templates
from portal.resources import Resource
from portal.forms import CSRFSchema

SOURCE_LABELS = {
    "default": _("template_source_default", default="Built-in default"),
    "client": _("template_source_client", default="The client's own"),
    "campaign": _("template_source_campaign", default="The campaign's own"),
}
LANGUAGE_LABELS = {"it": _("language_it", default="Italian"), "en": _("language_en", default="English")}


class MailTemplateContainer(Resource):
    """The kinds of mail of a client (or of one campaign), each found by its name."""

    @property
    def client(self):
        return client_of(self)

    @property
    def campaign(self):
        parent = self.__parent__
        return parent.campaign if isinstance(parent, CampaignFolder) else None

    def __getitem__(self, kind):
        if kind not in KINDS:
            raise KeyError(kind)
        return MailTemplateResource(self.request, kind, self)


class MailTemplateResource(Resource):
    @property
    def kind(self):
        return KINDS[self.__name__]

    @property
    def client(self):
        return self.__parent__.client

    @property
    def campaign(self):
        return self.__parent__.campaign


# --- Shared -------------------------------------------------------------------------------------------


def template_state(request, context):
    """The template that applies at the resource's level and where it comes from."""
    campaign = context.campaign
    texts, source = service.effective_templates(request.dbsession, context.__name__, context.client.id,
                                                campaign.id if campaign is not None else None)
    return texts, source


def template_json(request, context):
    texts, source = template_state(request, context)
    translate = request.localizer.translate
    return {
        "kind": context.__name__,
        "title": translate(context.kind.title),
        "client": context.client.slug,
        "campaign": context.campaign.slug if context.campaign is not None else None,
        "source": source,
        "it": texts["it"],
        "en": texts["en"],
        "variables": [{"name": variable.name, "description": translate(variable.description)}
                      for variable in context.kind.variables],
    }


def kinds_json(request, container):
    items = []
    for kind in KINDS:
        items.append(template_json(request, MailTemplateResource(request, kind, container)))
    return {"items": items}


# --- API ------------------------------------------------------------------------------------------------


class TemplateTexts(colander.MappingSchema):
    subject = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=SUBJECT_MAX))
    body = colander.SchemaNode(colander.String(allow_empty=True), validator=colander.Length(max=BODY_MAX))


class TemplateBody(colander.MappingSchema):
    it = TemplateTexts()
    en = TemplateTexts()


@api_view(context=MailTemplateContainer, request_method="GET", permission=P.MANAGE)
def templates_list(context, request):
    return kinds_json(request, context)


@api_view(context=MailTemplateResource, request_method="GET", permission=P.MANAGE)
def template_get(context, request):
    return template_json(request, context)


@api_view(context=MailTemplateResource, request_method="PUT", permission=P.MANAGE)
def template_put(context, request):
    texts = parse(request, TemplateBody())
    service.save_template(request.dbsession, context.__name__, context.client, texts, actor=request.user,
                          now=request.now, campaign=context.campaign)
    return template_json(request, context)


@api_view(context=MailTemplateResource, request_method="DELETE", permission=P.MANAGE)
def template_delete(context, request):
    service.reset_template(request.dbsession, context.__name__, context.client, context.campaign)
    return template_json(request, context)


# --- Pages ----------------------------------------------------------------------------------------------


def folder_of(context):
    """The client or campaign folder a template page belongs to."""
    container = context if isinstance(context, MailTemplateContainer) else context.__parent__
    return container.__parent__


@view_config(context=MailTemplateContainer, request_method="GET", permission=P.MANAGE,
             renderer="campaigns:templates/mail_templates.jinja2")
def templates_page(context, request):
    """Each kind of mail, whether its template is the default, the client's or the campaign's."""
    translate = request.localizer.translate
    rows = []
    for item in kinds_json(request, context)["items"]:
        rows.append(dict(item, source_label=translate(SOURCE_LABELS[item["source"]]),
                         description=translate(KINDS[item["kind"]].description),
                         url=request.resource_url(context, item["kind"])))
    return {"client": context.client, "campaign": context.campaign, "folder": folder_of(context), "rows": rows}


class TemplateForm(CSRFSchema):
    subject_it = colander.SchemaNode(colander.String(), title=_("Subject (Italian)"),
                                     validator=colander.Length(min=1, max=SUBJECT_MAX))
    body_it = colander.SchemaNode(colander.String(), title=_("Text (Italian)"), missing="",
                                  validator=colander.Length(max=BODY_MAX),
                                  widget=deform.widget.TextAreaWidget(rows=10))
    subject_en = colander.SchemaNode(colander.String(), title=_("Subject (English)"),
                                     validator=colander.Length(min=1, max=SUBJECT_MAX))
    body_en = colander.SchemaNode(colander.String(), title=_("Text (English)"), missing="",
                                  validator=colander.Length(max=BODY_MAX),
                                  widget=deform.widget.TextAreaWidget(rows=10))


def template_form(request, context):
    buttons = [deform.Button("save", title=_("Save the template"), css_class="btn-primary"),
               deform.Button("preview", title=_("Preview with sample data"), css_class="btn-outline-secondary")]
    return deform.Form(TemplateForm().bind(request=request), formid="template-form",
                       action=request.resource_url(context), buttons=buttons)


def as_texts(appstruct):
    return {language: {"subject": appstruct[f"subject_{language}"], "body": appstruct[f"body_{language}"]}
            for language in LANGUAGES}


def as_form_values(texts):
    return {f"{part}_{language}": texts[language][part] for language in LANGUAGES for part in ("subject", "body")}


def form_field(field):
    """"it.subject" (the API's name) -> "subject_it" (the form's)."""
    if field and "." in field:
        language, part = field.split(".", 1)
        return f"{part}_{language}"
    return field


@view_config(context=MailTemplateResource, request_method="GET", permission=P.MANAGE,
             renderer="campaigns:templates/mail_template.jinja2")
@view_config(context=MailTemplateResource, request_method="POST", permission=P.MANAGE,
             renderer="campaigns:templates/mail_template.jinja2")
def template_page(context, request):
    """Edit one kind: the two languages side by side, the variables it may use, a preview with sample data.
    A template that does not render is refused (422) and not saved."""
    texts, source = template_state(request, context)
    form = template_form(request, context)
    preview, rendered = None, None
    if request.method == "POST":
        if "reset" in request.POST:
            service.reset_template(request.dbsession, context.__name__, context.client, context.campaign)
            request.session.flash(request.localizer.translate(_("flash_template_reset", default="The template is "
                                                                 "back to the one above it.")), "success")
            return HTTPFound(request.resource_url(context))
        try:
            appstruct = form.validate(request.POST.items())
        except deform.ValidationFailure:
            appstruct = None
            request.response.status_int = 400
        if appstruct is not None:
            try:
                if "save" in request.POST:
                    service.save_template(request.dbsession, context.__name__, context.client, as_texts(appstruct),
                                          actor=request.user, now=request.now, campaign=context.campaign)
                    request.session.flash(request.localizer.translate(_("flash_template_saved", default="Template "
                                                                         "saved.")), "success")
                    return HTTPFound(request.resource_url(context))
                preview = check_templates(context.__name__, as_texts(appstruct))
            except RuleViolation as violation:
                request.tm.doom()
                set_field_error(form, form_field(violation.field), request.localizer.translate(violation.message))
                request.response.status_int = violation.status
        rendered = form.render()
    else:
        rendered = form.render(as_form_values(texts))
        preview = check_templates(context.__name__, texts)
    translate = request.localizer.translate
    return {
        "client": context.client,
        "campaign": context.campaign,
        "folder": folder_of(context),
        "kind": context.kind,
        "kind_title": translate(context.kind.title),
        "kind_description": translate(context.kind.description),
        "source": source,
        "source_label": translate(SOURCE_LABELS[source]),
        "variables": [(variable.name, translate(variable.description)) for variable in context.kind.variables],
        "form": rendered,
        "preview": [(translate(LANGUAGE_LABELS[language]), preview[language][0], preview[language][1])
                    for language in LANGUAGES] if preview else None,
        "list_url": request.resource_url(context.__parent__),
    }


def includeme(config):
    config.add_resource_child(ClientFolder, "mail-templates", MailTemplateContainer)
    config.add_resource_child(CampaignFolder, "mail-templates", MailTemplateContainer)
    config.scan("campaigns.mail_template_views")
