"""Steps as contracts (browser): create and edit drafts, confirm, delete a draft, print the summary.

The campaign folder lists the steps; these pages hang under /clients/{c}/campaigns/{k}/steps/.
Changing needs ``manage`` (the client's account manager, admins); the summary needs ``view``.
"""
from pyramid.httpexceptions import HTTPFound
from pyramid.view import view_config

from campaigns import schemas, services
from campaigns.resources import StepContainer, StepResource, client_of
from portal import permissions as P
from portal.errors import RuleViolation
from portal.forms import make_form, set_field_error, validate
from portal.i18n import _


def campaign_url(request, campaign_folder):
    return request.resource_url(campaign_folder, anchor="steps")


def flash(request, message):
    request.session.flash(request.localizer.translate(message), "success")


def step_form_page(context, request, campaign_folder, step=None):
    """The same form adds a draft (no ``step``) or changes one; a refusal re-renders it, nothing written."""
    form = make_form(request, schemas.StepForm(), buttons=(_("Save"),))
    if request.method == "POST":
        appstruct = validate(form, request)
        if appstruct is not None:
            appstruct.pop("csrf_token", None)
            try:
                if step is None:
                    step = services.add_step(request.dbsession, campaign_folder.campaign, created_by=request.user,
                                             now=request.now, **appstruct)
                    message = _("step_added", default="Draft step added: confirm it when the client has signed.")
                else:
                    services.update_step(request.dbsession, step, actor=request.user, now=request.now, **appstruct)
                    message = _("step_saved", default="Step saved.")
            except RuleViolation as violation:
                request.tm.doom()
                set_field_error(form, violation.field, request.localizer.translate(violation.message))
            else:
                flash(request, message)
                return HTTPFound(campaign_url(request, campaign_folder))
        request.response.status_int = 400
        rendered = form.render()
    elif step is not None:
        rendered = form.render({"quantity": step.quantity, "valid_from": step.valid_from or None,
                                "valid_to": step.valid_to or None, "description": step.description})
    else:
        rendered = form.render()
    return {"form": rendered, "step": step, "campaign": campaign_folder.campaign, "client": client_of(context),
            "campaign_url": campaign_url(request, campaign_folder)}


@view_config(context=StepContainer, name="add", permission=P.MANAGE, renderer="campaigns:templates/step_form.jinja2")
def step_add_page(context, request):
    return step_form_page(context, request, context.__parent__)


@view_config(context=StepResource, name="edit", permission=P.MANAGE, renderer="campaigns:templates/step_form.jinja2")
def step_edit_page(context, request):
    services.refuse_if_confirmed(context.step)  # a 409 page, not a form that cannot be saved
    return step_form_page(context, request, context.__parent__.__parent__, step=context.step)


@view_config(context=StepResource, name="confirm", request_method="POST", permission=P.MANAGE)
def step_confirm_page(context, request):
    services.confirm_step(request.dbsession, context.step, now=request.now, actor=request.user)
    flash(request, _("step_confirmed", default="Step confirmed: its appointments count in purchased."))
    return HTTPFound(campaign_url(request, context.__parent__.__parent__))


@view_config(context=StepResource, name="delete", request_method="POST", permission=P.MANAGE)
def step_delete_page(context, request):
    services.delete_step(request.dbsession, context.step, now=request.now, actor=request.user)
    flash(request, _("step_deleted", default="Draft step deleted."))
    return HTTPFound(campaign_url(request, context.__parent__.__parent__))


@view_config(context=StepContainer, permission=P.VIEW)
def steps_page(context, request):
    return HTTPFound(campaign_url(request, context.__parent__))


@view_config(context=StepResource, permission=P.VIEW, renderer="campaigns:templates/step_summary.jinja2")
@view_config(context=StepResource, name="summary", permission=P.VIEW,
             renderer="campaigns:templates/step_summary.jinja2")
def step_summary_page(context, request):
    """The printable summary of the contract: the step's terms and the campaign's settings and fields."""
    campaign = context.__parent__.__parent__.campaign
    return {"step": context.step, "campaign": campaign, "client": client_of(context),
            "fields": campaign.fields, "campaign_url": campaign_url(request, context.__parent__.__parent__)}
