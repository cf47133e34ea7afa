"""Business refusals carry a stable code (spec §5, §9).

Services raise ``RuleViolation``; one exception view turns it into the API
error shape or into a form error, so no view builds error answers by hand.
"""
from portal.i18n import _, translate_nested

STATUS_BY_CODE = {
    "validation_error": 400,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "quota_exhausted": 409,
    "slot_taken": 409,
    "slot_held": 409,
    "hold_expired": 409,
    "insertion_cutoff": 422,
    "outside_schedule": 422,
    "agent_unavailable": 422,
    "cancellation_window_closed": 422,
    "reason_not_allowed": 422,
    "notice_too_short": 422,
    "template_invalid": 422,
    "too_many_attempts": 429,
    "password_too_common": 422,
    "reset_link_invalid": 410,
    "two_factor_invalid": 422,
    "two_factor_required": 409,
    "webhook_url_forbidden": 422,
    "service_unavailable": 503,
}

DEFAULT_MESSAGES = {
    "validation_error": _("validation_error", default="The data sent is not valid."),
    "unauthenticated": _("unauthenticated", default="You must log in first."),
    "forbidden": _("forbidden", default="You are not allowed to do this."),
    "not_found": _("not_found", default="This page or resource does not exist."),
    "conflict": _("conflict", default="This conflicts with the current state."),
    "payload_too_large": _("payload_too_large", default="The request is larger than ${limit} bytes."),
    "unsupported_media_type": _("unsupported_media_type", default="The API takes JSON bodies only "
                                                                   "(Content-Type: application/json)."),
    "quota_exhausted": _(
        "quota_exhausted",
        default="The campaign has used up its purchased appointments: book on another campaign.",
    ),
    "slot_taken": _("slot_taken", default="The agent already has an appointment at this time."),
    "insertion_cutoff": _(
        "insertion_cutoff",
        default="A new appointment must start at least ${hours} hours from now.",
    ),
    "outside_schedule": _("outside_schedule", default="This time is outside the agent's schedule."),
    "agent_unavailable": _("agent_unavailable", default="The agent is not available at this time."),
    "slot_held": _("slot_held", default="Another operator is holding this slot."),
    "hold_expired": _("hold_expired", default="Your hold on this slot has expired: choose the slot again."),
    "cancellation_window_closed": _(
        "cancellation_window_closed",
        default="Cancellation can be requested only until the end of the second day after the appointment.",
    ),
    "reason_not_allowed": _("reason_not_allowed", default="This reason is not accepted for a cancellation."),
    "notice_too_short": _(
        "notice_too_short", default="An unavailability must be declared at least 8 days before it starts."
    ),
    "template_invalid": _("template_invalid", default="The mail template is not valid."),
    "too_many_attempts": _("too_many_attempts", default="Too many attempts: try again later."),
    "password_too_common": _("password_too_common",
                             default="This password is among the most common ones: choose another."),
    "reset_link_invalid": _("reset_link_invalid",
                            default="This link is no longer valid (used or expired): ask for a new one."),
    "two_factor_invalid": _("two_factor_invalid", default="The code is wrong or has already been used."),
    "two_factor_required": _("two_factor_required",
                             default="Two-factor sign-in is required for your role: it cannot be turned off."),
    "webhook_url_forbidden": _("webhook_url_forbidden", default="This address cannot be used: it must be a "
                               "public https:// address."),
    "service_unavailable": _("service_unavailable", default="The service is briefly unavailable: retry in a "
                             "few seconds. Nothing of this request was saved."),
}


class RuleViolation(Exception):
    """A refusal a user can meet: a code, a translatable message, the field at fault."""

    def __init__(self, code, message=None, field=None, mapping=None):
        if code not in STATUS_BY_CODE:
            raise ValueError(f"unknown error code {code!r}")
        self.code = code
        self.field = field
        message = message if message is not None else DEFAULT_MESSAGES[code]
        if mapping:
            message = _(message, default=getattr(message, "default", None), mapping=mapping)
        self.message = message
        self.retry_after = None  # seconds, sent as Retry-After (too_many_attempts)
        super().__init__(code, str(message), field)

    @property
    def status(self):
        return STATUS_BY_CODE[self.code]

    def as_json(self, translate):
        return {"error": {"code": self.code, "message": translate_nested(translate, self.message), "field": self.field}}
