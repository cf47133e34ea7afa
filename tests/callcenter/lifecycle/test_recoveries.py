"""Rule 11: a cancelled appointment's place waits for its recovery, released at the end of the
step and a few a day, oldest first."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from callcenter.lifecycle import services as lifecycle
from callcenter.booking.services import book_appointment, hold_slot
from callcenter.appointments.models import Recovery
from callcenter.lifecycle.recoveries import release_recoveries, releasable_today, step_delivered
from campaigns.models import Campaign
from portal.errors import RuleViolation
from tests.conftest import NOW
from tests.factories import Tenant

PROSPECT = {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}
MONDAY_30 = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)  # 09:00 in Rome


class Clock:
    def __init__(self, now):
        self.now = now

    def clock(self):
        return self.now


def slot(index):
    day, rank = divmod(index, 4)
    return MONDAY_30 + timedelta(days=day, hours=2 * rank)


def book(dbsession, tenant, index, **kw):
    return book_appointment(dbsession, campaign=tenant.campaign, agent=tenant.agent, start=slot(index),
                            prospect=PROSPECT, booked_by=tenant.operator, now=NOW, **kw)


def cancel(dbsession, tenant, appointment, when=NOW):
    request = lifecycle.request_cancellation(dbsession, appointment, reason="wrong_target", notes="",
                                             actor=tenant.client_user, now=when)
    lifecycle.decide_cancellation(dbsession, request, appointment, approve=True, notes="",
                                  actor=tenant.account_manager, now=when)


def states(dbsession, tenant):
    return dbsession.execute(select(Recovery.state).where(Recovery.campaign_id == tenant.campaign.id)
                             .order_by(Recovery.id)).scalars().all()


@pytest.fixture
def tenant(dbsession):
    return Tenant(dbsession, purchased=4)


def test_a_cancelled_place_is_kept_for_its_recovery(dbsession, tenant):
    appointments = [book(dbsession, tenant, i) for i in range(3)]
    cancel(dbsession, tenant, appointments[0])
    dbsession.refresh(tenant.campaign)
    assert (tenant.campaign.taken, tenant.campaign.recoveries_pending, tenant.campaign.remaining) == (2, 1, 1)
    book(dbsession, tenant, 3)  # the last regular place
    with pytest.raises(RuleViolation) as refused:
        book(dbsession, tenant, 4)
    assert refused.value.code == "quota_exhausted"
    dbsession.refresh(tenant.campaign)
    assert step_delivered(tenant.campaign) and not tenant.campaign.open_for_booking


def test_recoveries_wait_for_the_end_of_the_step(dbsession, tenant):
    first = book(dbsession, tenant, 0)
    cancel(dbsession, tenant, first)
    assert release_recoveries(dbsession, Clock(NOW)) == 0  # regular places are still open
    assert states(dbsession, tenant) == ["owed"]
    with pytest.raises(RuleViolation) as refused:
        book(dbsession, tenant, 1, recovers=first.number)
    assert (refused.value.code, refused.value.field) == ("validation_error", "recovers")


def test_at_most_n_a_day_oldest_first_then_more_the_next_day(dbsession, tenant):
    appointments = [book(dbsession, tenant, i) for i in range(4)]
    for hour, appointment in enumerate(appointments[:3]):
        cancel(dbsession, tenant, appointment, when=NOW + timedelta(hours=hour))
    # 1 taken + 3 kept for recoveries = 4 purchased: the step's regular appointments are delivered.
    assert release_recoveries(dbsession, Clock(NOW + timedelta(hours=5))) == 2
    assert states(dbsession, tenant) == ["released", "released", "owed"]
    assert release_recoveries(dbsession, Clock(NOW + timedelta(hours=6))) == 0  # today's two are out
    assert release_recoveries(dbsession, Clock(NOW + timedelta(days=1))) == 1
    assert states(dbsession, tenant) == ["released"] * 3


def test_a_released_recovery_is_booked_into_its_kept_place(dbsession, tenant):
    appointments = [book(dbsession, tenant, i) for i in range(4)]
    cancel(dbsession, tenant, appointments[0])
    release_recoveries(dbsession, Clock(NOW))
    replacement = book(dbsession, tenant, 5, recovers=appointments[0].number)
    campaign = dbsession.get(Campaign, tenant.campaign.id)
    dbsession.refresh(campaign)
    assert (campaign.taken, campaign.purchased, campaign.recoveries_pending, campaign.recovered) == (4, 4, 0, 1)
    recovery = dbsession.execute(select(Recovery)).scalar_one()
    assert (recovery.state, recovery.replacement_appointment_id) == ("booked", replacement.id)


def test_the_daily_allowance():
    assert releasable_today(2, 0, 5) == 2
    assert releasable_today(2, 1, 5) == 1
    assert releasable_today(2, 2, 5) == 0
    assert releasable_today(2, 0, 1) == 1


def delivered_with_one_released(dbsession, tenant):
    """The real state of rule 11: the step delivered (1 taken + 3 kept = 4 purchased), one recovery released."""
    appointments = [book(dbsession, tenant, i) for i in range(4)]
    for appointment in appointments[:3]:
        cancel(dbsession, tenant, appointment)
    release_recoveries(dbsession, Clock(NOW))
    dbsession.refresh(tenant.campaign)
    assert not tenant.campaign.open_for_booking
    return appointments


def hold(dbsession, tenant, index, **kw):
    return hold_slot(dbsession, campaign=tenant.campaign, agent=tenant.agent, start=slot(index),
                     operator=tenant.operator, now=NOW, **kw)


def test_a_released_recovery_holds_a_slot_of_a_full_campaign_and_books_with_it(dbsession, tenant):
    appointments = delivered_with_one_released(dbsession, tenant)
    held = hold(dbsession, tenant, 5, recovers=appointments[0].number)
    replacement = book(dbsession, tenant, 5, hold_id=held.id, recovers=appointments[0].number)
    dbsession.refresh(tenant.campaign)
    assert (tenant.campaign.taken, tenant.campaign.recoveries_pending, tenant.campaign.recovered) == (2, 2, 1)
    assert held.ended_at == NOW and replacement.number == 5


def test_a_hold_of_a_full_campaign_without_a_recovery_is_quota_exhausted(dbsession, tenant):
    delivered_with_one_released(dbsession, tenant)
    with pytest.raises(RuleViolation) as refused:
        hold(dbsession, tenant, 5)
    assert (refused.value.code, refused.value.field) == ("quota_exhausted", "campaign")


@pytest.mark.parametrize("which", ["owed", "active", "unknown"])
def test_a_hold_for_a_recovery_not_released_is_refused_like_the_booking(dbsession, tenant, which):
    appointments = delivered_with_one_released(dbsession, tenant)
    number = {"owed": appointments[2].number, "active": appointments[3].number, "unknown": 99}[which]
    with pytest.raises(RuleViolation) as refused:
        hold(dbsession, tenant, 5, recovers=number)
    assert (refused.value.code, refused.value.field) == ("validation_error", "recovers")
