"""Steps, counters and the operators' list of campaigns (rule 7)."""
from datetime import date

import pytest

from campaigns.services import (add_step, campaigns_open_for_booking, change_counters, client_counts, confirm_step,
                                counts_by_client, take_place)
from portal.errors import RuleViolation
from tests.conftest import NOW
from tests.factories import make_campaign, make_client


def test_only_confirmed_steps_count_in_purchased(dbsession):
    campaign = make_campaign(dbsession, make_client(dbsession), purchased=0)
    first = add_step(dbsession, campaign, quantity=150, now=NOW)
    second = add_step(dbsession, campaign, quantity=50, now=NOW)
    assert (first.number, second.number) == (1, 2)
    confirm_step(dbsession, first, now=NOW)
    dbsession.refresh(campaign)
    assert campaign.purchased == 150
    confirm_step(dbsession, second, now=NOW)
    dbsession.refresh(campaign)
    assert campaign.purchased == 200


def test_confirming_a_step_twice_is_a_conflict(dbsession):
    campaign = make_campaign(dbsession, make_client(dbsession), purchased=0)
    step = add_step(dbsession, campaign, quantity=5, now=NOW)
    confirm_step(dbsession, step, now=NOW)
    with pytest.raises(RuleViolation) as refused:
        confirm_step(dbsession, step, now=NOW)
    assert refused.value.code == "conflict"


def test_a_step_ending_before_it_starts_is_refused(dbsession):
    campaign = make_campaign(dbsession, make_client(dbsession), purchased=0)
    with pytest.raises(RuleViolation) as refused:
        add_step(dbsession, campaign, quantity=5, now=NOW, valid_from=date(2026, 12, 1), valid_to=date(2026, 11, 1))
    assert (refused.value.code, refused.value.field) == ("validation_error", "valid_to")


def test_take_place_refuses_when_taken_reaches_purchased(dbsession):
    campaign = make_campaign(dbsession, make_client(dbsession), purchased=2)
    take_place(dbsession, campaign)
    take_place(dbsession, campaign)
    with pytest.raises(RuleViolation) as refused:
        take_place(dbsession, campaign)
    assert refused.value.code == "quota_exhausted"
    assert (campaign.taken, campaign.to_confirm) == (2, 2)


def test_a_renewal_reopens_a_full_campaign(dbsession):
    client = make_client(dbsession)
    campaign = make_campaign(dbsession, client, purchased=1)
    take_place(dbsession, campaign)
    assert campaign not in campaigns_open_for_booking(dbsession)
    confirm_step(dbsession, add_step(dbsession, campaign, quantity=10, now=NOW), now=NOW)
    assert campaign in campaigns_open_for_booking(dbsession)


def test_client_counts_sum_the_campaigns(dbsession):
    client = make_client(dbsession)
    first = make_campaign(dbsession, client, purchased=150)
    second = make_campaign(dbsession, client, purchased=50)
    change_counters(dbsession, first.id, taken=140, to_confirm=15, cancelled=3)
    change_counters(dbsession, second.id, taken=49, to_confirm=6, cancelled=1, recovered=2)
    assert client_counts(dbsession, client.id) == {
        "purchased": 200, "taken": 189, "to_confirm": 21, "cancelled": 4, "recovered": 2, "open_for_booking": True,
    }


def test_counts_of_a_client_without_campaigns_are_zero(dbsession):
    empty, other = make_client(dbsession), make_client(dbsession)
    make_campaign(dbsession, other, purchased=3)
    counts = counts_by_client(dbsession, [empty.id, other.id])
    assert counts[empty.id]["purchased"] == 0 and counts[empty.id]["open_for_booking"] is False
    assert counts[other.id]["purchased"] == 3


def test_steps_are_in_the_campaign_history(dbsession):
    from sqlalchemy import select

    from portal.history import Change

    campaign = make_campaign(dbsession, make_client(dbsession), purchased=0)
    step = add_step(dbsession, campaign, quantity=50, now=NOW)
    confirm_step(dbsession, step, now=NOW)
    changes = dbsession.execute(
        select(Change.action, Change.after).where(Change.campaign_id == campaign.id).order_by(Change.id)
    ).all()
    assert [action for action, _after in changes] == ["step_added", "step_confirmed"]
    assert changes[-1].after == {"number": 1, "quantity": 50, "state": "confirmed"}
