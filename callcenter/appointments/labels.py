"""The words the pages, mails and exports use for states, outcomes, reasons and history lines."""


from portal.i18n import _


STATE_LABELS = {
    "to_confirm": _("state_to_confirm", default="To confirm"),
    "confirmed": _("state_confirmed", default="Confirmed"),
    "cancelled": _("state_cancelled", default="Cancelled"),
    "draft": _("state_draft", default="Draft"),
    "pending": _("request_state_pending", default="Pending"),
    "approved": _("request_state_approved", default="Approved"),
    "rejected": _("request_state_rejected", default="Rejected"),
}
OUTCOME_LABELS = {
    "held": _("outcome_held", default="Held"),
    "no_show": _("outcome_no_show", default="Prospect absent (no-show)"),
    "excused": _("outcome_excused", default="Excused (the prospect gave notice)"),
}
REASON_LABELS = {
    "prospect_disowns": _("reason_label_prospect_disowns", default="The prospect disowns the appointment"),
    "wrong_target": _("reason_label_wrong_target", default="Wrong target (not the right person or company)"),
    "prospect_unreachable": _("reason_label_prospect_unreachable", default="The prospect cannot be reached"),
    "duplicate": _("reason_label_duplicate", default="Duplicate of another appointment"),
    "agent_unavailable": _("reason_label_agent_unavailable", default="The agent cannot go"),
    "not_looked_at_portal": _("reason_label_not_looked_at_portal", default="We had not looked at the portal"),
    "other": _("reason_label_other", default="Other (explain in the notes)"),
}
CALL_RESULTS = {
    "confirmed": _("call_confirmed", default="Confirmed by the prospect"),
    "postponed": _("call_postponed", default="Postponed to a new time"),
    "disowned": _("call_disowned", default="Disowned by the prospect"),
    "not_reached": _("call_not_reached", default="Not reached: call again later"),
}
CALL_STATES = {
    "open": _("call_state_open", default="To call"),
    "not_reached": _("call_state_not_reached", default="Not reached"),
    "done": _("call_state_done", default="Done"),
}
RECOVERY_STATES = {
    "owed": _("recovery_owed", default="Owed"),
    "released": _("recovery_released", default="Released"),
    "booked": _("recovery_booked", default="Booked"),
}
ACTIONS = {
    ("appointment", "booked"): _("change_booked", default="Appointment booked"),
    ("appointment", "imported"): _("change_imported", default="Appointment imported from the previous system"),
    ("appointment", "confirmed"): _("change_confirmed", default="Appointment confirmed"),
    ("appointment", "postponed"): _("change_postponed", default="Appointment moved"),
    ("appointment", "contacted"): _("change_contacted", default="The agent contacted the prospect"),
    ("appointment", "disowned"): _("change_disowned", default="The prospect disowned the appointment"),
    ("appointment", "outcome"): _("change_outcome", default="Outcome recorded"),
    ("appointment", "cancelled"): _("change_cancelled", default="Appointment cancelled"),
    ("cancellation_request", "requested"): _("change_cancellation_requested", default="Cancellation requested"),
    ("cancellation_request", "approved"): _("change_cancellation_approved", default="Cancellation approved"),
    ("cancellation_request", "rejected"): _("change_cancellation_rejected", default="Cancellation rejected"),
    ("unavailability", "declared"): _("change_unavailability_declared", default="Unavailability declared"),
    ("step", "step_added"): _("change_step_added", default="Step ${number} added"),
    ("step", "step_confirmed"): _("change_step_confirmed", default="Step ${number} confirmed"),
    ("step", "step_changed"): _("change_step_changed", default="Draft step ${number} changed"),
    ("step", "step_deleted"): _("change_step_deleted", default="Draft step ${number} deleted"),
    ("agent", "deactivated"): _("change_agent_deactivated", default="Agent deactivated"),
    ("agent", "reactivated"): _("change_agent_reactivated", default="Agent reactivated"),
    ("agent", "updated"): _("change_agent_updated", default="Agent's details changed"),
    ("client", "updated"): _("change_client_updated", default="Client's details changed"),
}
DETAIL_LABELS = {
    "state": _("detail_state", default="State"),
    "active": _("detail_active", default="Active"),
    "start": _("detail_start", default="Time"),
    "end": _("detail_end", default="Until"),
    "agent": _("detail_agent", default="Agent"),
    "contacted": _("detail_contacted", default="Prospect contacted"),
    "outcome": _("detail_outcome", default="Outcome"),
    "reason": _("detail_reason", default="Reason"),
    "notes": _("detail_notes", default="Notes"),
    "override": _("detail_override", default="Short notice allowed because"),
    "flagged": _("detail_flagged", default="Appointments to move"),
    "quantity": _("detail_quantity", default="Quantity"),
    "valid_from": _("detail_valid_from", default="Valid from"),
    "valid_to": _("detail_valid_to", default="Valid to"),
    "description": _("detail_description", default="Description"),
    "name": _("detail_name", default="Name"),
    "email": _("detail_email", default="E-mail"),
    "phone": _("detail_phone", default="Phone"),
    "zones": _("detail_zones", default="Zones"),
    "timezone": _("detail_timezone", default="Time zone"),
    "country": _("detail_country", default="Country"),
    "account_manager": _("detail_account_manager", default="Account manager"),
}
YES, NO = _("yes", default="Yes"), _("no", default="No")
