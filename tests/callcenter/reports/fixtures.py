"""A hand-counted folder for the reports, statistics and exports tests.

Agent A works in zone Z, agent B in zone Z2 (the Tenant's agent and other_agent).

  #  agent  local start (Rome)     state        outcome   booked by   note
  1  A      Mon 30 Nov 2026 09:00  confirmed    held      operator
  2  A      Mon 30 Nov 2026 11:00  to_confirm             operator
  3  A      Tue  1 Dec 2026 00:30  confirmed    no_show   operator    30 Nov 23:30 UTC: December in Rome
  4  B      Wed  2 Dec 2026 09:00  cancelled              operator    approved; recovered by #5
  5  B      Thu  3 Dec 2026 09:00  to_confirm             operator    the recovery of #4
  6  A      Thu  1 Apr 2027 00:30  to_confirm             operator    31 Mar 22:30 UTC, summer time: April in Rome
  7  B      Fri  4 Dec 2026 09:00  cancelled              second op.  approved; its recovery still owed

By state: to confirm 3 (#2 #5 #6), confirmed 2 (#1 #3), cancelled 2 (#4 #7); taken 5; total 7.
Recovered 1 (#5); recoveries owed 1 (#7's).
By month: 2026-11: 1 to confirm + 1 confirmed; 2026-12: 1 to confirm, 1 confirmed, 2 cancelled; 2027-04: 1 to confirm.
By agent / zone: A (Z): 2 to confirm, 2 confirmed, 0 cancelled, 4 in all; B (Z2): 1, 0, 2, 3 in all.
Statistics: booked 7, confirmed 2, cancelled 2, held 1, no-show 1: confirmation 2/5, cancellation 2/7, no-show 1/2.
Per operator: operator 6 bookings, 1 cancelled (#4); second operator 1 booking, 1 cancelled (#7).
"""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from callcenter.lifecycle import services as lifecycle
from callcenter.booking.services import book_appointment
from callcenter.appointments.models import Recovery
from tests.conftest import NOW
from tests.factories import Tenant, make_user

ROME = ZoneInfo("Europe/Rome")
PROSPECT = {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}


def prospect_of(agent):
    """A prospect in the agent's zone: booking routes the postal code to the agent's zone (rule 13)."""
    return dict(PROSPECT, postal_code=agent.zones[0].postal_codes[0])


def rome(*args):
    return datetime(*args, tzinfo=ROME)


class Folder:
    def __init__(self, dbsession):
        tenant = self.tenant = Tenant(dbsession, purchased=20)
        self.second_operator = make_user(dbsession, "operator", name="Second Operator")
        a, b = tenant.agent, tenant.other_agent

        def book(agent, start, by=None, **kw):
            return book_appointment(dbsession, campaign=tenant.campaign, agent=agent, start=start,
                                    prospect=prospect_of(agent), booked_by=by or tenant.operator, now=NOW,
                                    may_book_out_of_schedule=True,
                                    out_of_schedule=start.astimezone(ROME).hour < 9, **kw)

        def cancel(appointment):
            when = appointment.start_at + timedelta(hours=3)
            request = lifecycle.request_cancellation(dbsession, appointment, reason="wrong_target", notes="",
                                                     actor=tenant.client_user, now=when)
            lifecycle.decide_cancellation(dbsession, request, appointment, approve=True, notes="",
                                          actor=tenant.account_manager, now=when)

        self.appointments = [
            book(a, rome(2026, 11, 30, 9)),
            book(a, rome(2026, 11, 30, 11)),
            book(a, rome(2026, 12, 1, 0, 30)),
            book(b, rome(2026, 12, 2, 9)),
        ]
        first, _second, third, fourth = self.appointments
        later = datetime(2026, 12, 5, 12, tzinfo=timezone.utc)
        lifecycle.confirm(dbsession, first, actor=tenant.operator, now=NOW)
        lifecycle.confirm(dbsession, third, actor=tenant.operator, now=NOW)
        lifecycle.record_outcome(dbsession, first, outcome="held", notes="", actor=tenant.operator, now=later)
        lifecycle.record_outcome(dbsession, third, outcome="no_show", notes="", actor=tenant.operator, now=later)
        cancel(fourth)
        recovery = dbsession.execute(
            select(Recovery).where(Recovery.cancelled_appointment_id == fourth.id)).scalar_one()
        recovery.state, recovery.released_at = "released", NOW  # what the release task does at the step's end
        dbsession.flush()
        self.appointments.append(book(b, rome(2026, 12, 3, 9), recovers=fourth.number))
        self.appointments.append(book(a, rome(2027, 4, 1, 0, 30)))
        seventh = book(b, rome(2026, 12, 4, 9), by=self.second_operator)
        self.appointments.append(seventh)
        cancel(seventh)
        dbsession.flush()
