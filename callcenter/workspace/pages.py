"""The operators' worklists under /callcenter/ in the browser: tomorrow's confirmation calls (rule 3), appointments to move (rule 6) and recoveries (rule 11)."""
import itertools

from pyramid.view import view_config

from callcenter.lifecycle import jobs
from callcenter.lifecycle import services as lifecycle
from callcenter.appointments.resources import AppointmentContainer, AppointmentResource, CallCenter
from campaigns.resources import client_folder
from portal import permissions as P
from portal.i18n import _
from callcenter.appointments.forms import action_form
from callcenter.appointments.labels import CALL_RESULTS, CALL_STATES, REASON_LABELS, RECOVERY_STATES, STATE_LABELS
from callcenter.lifecycle.forms import ConfirmationCallForm
from callcenter.workspace.views import bookable_recoveries


def appointment_resource(request, appointment):
    """The appointment's resource outside traversal, to ask its ACL."""
    folder = client_folder(request, appointment.client)
    container = AppointmentContainer(request, "appointments", folder)
    return AppointmentResource(request, str(appointment.number), container, appointment)


def appointment_url(request, appointment, *elements, **kw):
    return request.resource_url(request.root, "clients", appointment.client.slug, "appointments",
                                str(appointment.number), *elements, **kw)


def worklist_page(request, title_key, items, **extra):
    return dict({"worklist": title_key, "items": items}, **extra)


@view_config(context=CallCenter, name="confirmations", permission=P.BOOK,
             renderer="callcenter.workspace:templates/worklist.jinja2")
def confirmations_page(context, request):
    """Rule 3: today's worklist (built each morning) of tomorrow's appointments, by campaign, each with its
    call's progress; those still to call carry the call's form."""
    dbsession, now = request.dbsession, request.now
    callable_clients = {}

    def may_call(appointment):
        if appointment.client_id not in callable_clients:
            callable_clients[appointment.client_id] = request.has_permission(
                P.CONFIRMATION_CALL, appointment_resource(request, appointment))
        return callable_clients[appointment.client_id]

    # Moved to tomorrow since the last run of the task: on the list now, not at the next hour.
    jobs.top_up_worklist(dbsession, [a for a in lifecycle.confirmation_worklist(dbsession, now=now) if may_call(a)],
                         now)
    counter = itertools.count()
    translate = request.localizer.translate
    groups, done, progress = {}, [], {"done": 0, "to_call": 0}
    for call in jobs.todays_calls_everywhere(dbsession, now):
        appointment = call.appointment
        if not may_call(appointment):
            continue
        open_call = call.state != "done" and appointment.state == "to_confirm" and appointment.start_at > now
        form = None
        if open_call:
            form = action_form(request, ConfirmationCallForm(), f"call-{appointment.client_id}-{appointment.number}",
                               appointment_url(request, appointment, "confirmation-call"),
                               [("record", _("Record the call"), "btn-primary")], counter
                               ).render({"came_from": "confirmations", "notes": call.notes})
        row = {
            "appointment": appointment, "call": call, "form": form,
            "call_state": translate(CALL_STATES[call.state]),
            "outcome": translate(CALL_RESULTS[call.outcome]) if call.outcome else None,
            # Confirmed or moved by someone else than the call (the agent, another page): nothing left to call.
            "settled": translate(STATE_LABELS[appointment.state]) if not open_call and call.state != "done" else None,
        }
        if open_call:
            progress["to_call"] += 1
            group = groups.setdefault(appointment.campaign_id, {"campaign": appointment.campaign,
                                                                 "client": appointment.client, "rows": []})
            group["rows"].append(row)
        else:
            progress["done"] += 1
            done.append(row)
    tomorrow = None
    if groups:
        tomorrow = next(iter(groups.values()))["rows"][0]["appointment"].start_at
    return worklist_page(request, "confirmations", list(groups.values()), tomorrow=tomorrow, progress=progress,
                         done=done)


@view_config(context=CallCenter, name="rescheduling", permission=P.BOOK,
             renderer="callcenter.workspace:templates/worklist.jinja2")
def rescheduling_page(context, request):
    """Rule 6: appointments caught by an unavailability, to move to another time."""
    rows = [appointment for appointment in lifecycle.rescheduling_worklist(request.dbsession)
            if request.has_permission(P.CONFIRM, appointment_resource(request, appointment))]
    return worklist_page(request, "rescheduling", rows)


@view_config(context=CallCenter, name="recoveries", permission=P.BOOK,
             renderer="callcenter.workspace:templates/worklist.jinja2")
def recoveries_page(context, request):
    """Rule 11: recoveries owed, oldest first, each a link to the booking wizard of its campaign."""
    recoveries, by_id = bookable_recoveries(request)
    translate = request.localizer.translate
    rows = []
    for recovery in recoveries:
        cancelled = recovery.cancelled_appointment
        campaign = by_id[recovery.campaign_id]
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
    return worklist_page(request, "recoveries", rows)


def includeme(config):
    config.scan(__name__)
