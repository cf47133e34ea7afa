"""The operators' worklists under /callcenter/ in the browser: tomorrow's confirmation calls (rule 3), appointments to move (rule 6) and recoveries (rule 11)."""
import itertools

from pyramid.view import view_config

from callcenter.appointments.forms import action_form
from callcenter.appointments.labels import (
    CALL_RESULTS,
    CALL_STATES,
    REASON_LABELS,
    RECOVERY_STATES,
    STATE_LABELS,
)
from callcenter.appointments.resources import CallCenter
from callcenter.lifecycle import jobs
from callcenter.lifecycle.forms import ConfirmationCallForm
from callcenter.workspace import schemas, services
from callcenter.workspace.views import page_params
from campaigns.resources import permitted_client_ids
from portal import permissions as P
from portal.i18n import _
from portal.listing import PER_PAGE, page_of_query


def appointment_url(request, appointment, *elements, **kw):
    return request.resource_url(request.root, "clients", appointment.client.slug, "appointments",
                                str(appointment.number), *elements, **kw)


def worklist_page(request, title_key, listing, params, client_ids, **extra):
    """What every worklist page shows: its rows, its filters (kept by the page links) and their choices."""
    filters = schemas.worklist_filters(params)
    kept = {key: value for key, value in request.GET.items() if key not in ("page", "done_page") and value}
    return dict({"worklist": title_key, "items": listing["items"], "listing": listing, "params": params,
                 "filtered": filters.active, "kept": kept,
                 "choices": services.filter_choices(request.dbsession, client_ids, params.get("client"))}, **extra)


@view_config(context=CallCenter, name="confirmations", permission=P.BOOK,
             renderer="callcenter.workspace:templates/worklist.jinja2")
def confirmations_page(context, request):
    """Rule 3: today's worklist (built each morning) of tomorrow's appointments, by campaign, each with its
    call's progress; those still to call carry the call's form. Searched, filtered and in pages by the
    database: the calls to make and the calls made each have their pages."""
    dbsession, now = request.dbsession, request.now
    params = page_params(request, schemas.ConfirmationsPageQuery())
    filters = schemas.worklist_filters(params)
    client_ids = permitted_client_ids(request, P.CONFIRMATION_CALL)
    # Moved to tomorrow since the last run of the task: on the list now, not at the next hour.
    jobs.top_up_worklist(dbsession, services.missing_from_todays_calls(dbsession, client_ids, now), now)
    per_page = params["per_page"] or PER_PAGE
    to_make = page_of_query(request, dbsession, services.calls_to_make(dbsession, filters, client_ids, now), per_page)
    made = page_of_query(request, dbsession, services.calls_made(dbsession, filters, client_ids, now), per_page,
                         param="done_page")
    counter = itertools.count()
    translate = request.localizer.translate

    def row_of(call, open_call):
        appointment = call.appointment
        form = None
        if open_call:
            form = action_form(request, ConfirmationCallForm(), f"call-{appointment.client_id}-{appointment.number}",
                               appointment_url(request, appointment, "confirmation-call"),
                               [("record", _("Record the call"), "btn-primary")], counter
                               ).render({"came_from": "confirmations", "notes": call.notes})
        return {
            "appointment": appointment, "call": call, "form": form,
            "call_state": translate(CALL_STATES[call.state]),
            "outcome": translate(CALL_RESULTS[call.outcome]) if call.outcome else None,
            # Confirmed or moved by someone else than the call (the agent, another page): nothing left to call.
            "settled": translate(STATE_LABELS[appointment.state]) if not open_call and call.state != "done" else None,
        }

    groups = {}
    for call in to_make["items"]:
        appointment = call.appointment
        group = groups.setdefault(appointment.campaign_id, {"campaign": appointment.campaign,
                                                            "client": appointment.client, "rows": []})
        group["rows"].append(row_of(call, True))
    tomorrow = to_make["items"][0].appointment.start_at if to_make["items"] else None
    return worklist_page(request, "confirmations", dict(to_make, items=list(groups.values())), params, client_ids,
                         tomorrow=tomorrow, progress=services.calls_progress(dbsession, filters, client_ids, now),
                         done=[row_of(call, False) for call in made["items"]], done_listing=made,
                         call_labels={state: translate(CALL_STATES[state]) for state in services.CALL_STATES})


@view_config(context=CallCenter, name="rescheduling", permission=P.BOOK,
             renderer="callcenter.workspace:templates/worklist.jinja2")
def rescheduling_page(context, request):
    """Rule 6: appointments caught by an unavailability, to move to another time; searched, filtered and in
    pages by the database."""
    params = page_params(request, schemas.ReschedulingQuery())
    client_ids = permitted_client_ids(request, P.CONFIRM)
    query = services.appointments_to_move(request.dbsession, schemas.worklist_filters(params), client_ids)
    listing = page_of_query(request, request.dbsession, query, params["per_page"] or PER_PAGE)
    return worklist_page(request, "rescheduling", listing, params, client_ids)


@view_config(context=CallCenter, name="recoveries", permission=P.BOOK,
             renderer="callcenter.workspace:templates/worklist.jinja2")
def recoveries_page(context, request):
    """Rule 11: recoveries owed, oldest first, each a link to the booking wizard of its campaign; searched,
    filtered and in pages by the database."""
    params = page_params(request, schemas.RecoveriesQuery())
    client_ids = permitted_client_ids(request, P.BOOK)
    query = services.released_recoveries(request.dbsession, schemas.worklist_filters(params), client_ids)
    listing = page_of_query(request, request.dbsession, query, params["per_page"] or PER_PAGE, scalars=False)
    translate = request.localizer.translate
    rows = []
    for recovery, campaign in listing["items"]:
        cancelled = recovery.cancelled_appointment
        rows.append({
            "recovery": recovery,
            "appointment": cancelled,
            "campaign": campaign,
            "state": translate(RECOVERY_STATES.get(recovery.state, recovery.state)),
            "reason": translate(REASON_LABELS[cancelled.cancel_reason])
            if cancelled.cancel_reason in REASON_LABELS else cancelled.cancel_reason,
            "book_url": request.resource_url(request.root, "clients", campaign.client.slug, "campaigns",
                                             campaign.slug, "book", query={"recovers": cancelled.number}),
        })
    return worklist_page(request, "recoveries", dict(listing, items=rows), params, client_ids)


def includeme(config):
    config.scan(__name__)
