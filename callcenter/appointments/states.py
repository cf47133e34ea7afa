"""The life of an appointment in one place (spec §5 rules 2-5): states, transitions, counters.

    to_confirm --confirm--> confirmed
    to_confirm / confirmed --cancel (an approved cancellation request)--> cancelled

Postponing, marking the prospect contacted and recording the outcome keep the
state. Anything else is a ``conflict`` with a message saying why.
"""
from portal.errors import RuleViolation
from portal.i18n import _

from callcenter.appointments.models import ACTIVE_STATES

TRANSITIONS = {
    "confirm": {"to_confirm": "confirmed"},
    "cancel": {"to_confirm": "cancelled", "confirmed": "cancelled"},
}

REFUSALS = {
    "confirm": _("cannot_confirm", default="Only an appointment still to confirm can be confirmed."),
    "cancel": _("cannot_cancel", default="This appointment is already cancelled."),
    "active": _("not_active", default="A cancelled appointment cannot be changed."),
    "outcome_early": _("outcome_before_meeting", default="The outcome is recorded after the meeting has started."),
    "contact_late": _("contact_after_meeting", default="The agent's contact with the prospect counts only before "
                      "the meeting: once it has started, record its outcome instead."),
}


def next_state(action, state):
    """The state after ``action``, or ``conflict``."""
    try:
        return TRANSITIONS[action][state]
    except KeyError:
        raise RuleViolation("conflict", REFUSALS[action], "state")


def check_active(state):
    """Postpone, contact, disown and outcome apply to live appointments only."""
    if state not in ACTIVE_STATES:
        raise RuleViolation("conflict", REFUSALS["active"], "state")


def check_outcome_time(start, now):
    if now < start:
        raise RuleViolation("conflict", REFUSALS["outcome_early"], "outcome")


def check_contact_time(start, now):
    """Rule 4: the agent contacts the prospect *before* the meeting."""
    if now >= start:
        raise RuleViolation("conflict", REFUSALS["contact_late"], "contacted")


def contacted_before_meeting(contacted_at, start):
    """Rule 4 applies only to a contact recorded before the meeting's start."""
    return contacted_at is not None and contacted_at < start


def counter_deltas(old_state, new_state):
    """How the campaign's counters move when an appointment goes from one state to another."""
    deltas = {"taken": 0, "to_confirm": 0, "cancelled": 0}
    for state, sign in ((old_state, -1), (new_state, +1)):
        if state in ACTIVE_STATES:
            deltas["taken"] += sign
        if state in deltas:
            deltas[state] += sign
    return {name: delta for name, delta in deltas.items() if delta}
