"""Rule 11: recoveries are released to the operators only at the end of the step (its regular
appointments delivered) and slowly, at most ``recoveries_per_day`` per campaign per day."""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from callcenter.appointments.models import Recovery
from campaigns.models import Campaign, Client


def step_delivered(campaign):
    """Every place not kept for a recovery is taken."""
    return campaign.taken + campaign.recoveries_pending >= campaign.purchased


def releasable_today(per_day, released_today, owed):
    """How many to release now: what today's allowance leaves, no more than are owed."""
    return max(0, min(per_day - released_today, owed))


def release_recoveries(dbsession, context):
    """The periodic job: release the oldest owed recoveries of each delivered campaign."""
    now = context.clock()
    released = 0
    campaigns = dbsession.execute(
        select(Campaign).join(Client).where(
            Campaign.id.in_(select(Recovery.campaign_id).where(Recovery.state == "owed"))
        ).with_for_update(of=Campaign)
    ).scalars().all()
    for campaign in campaigns:
        if step_delivered(campaign):
            released += release_for(dbsession, campaign, now)
    return released


def release_for(dbsession, campaign, now):
    tz = ZoneInfo(campaign.client.timezone)
    today = datetime.combine(now.astimezone(tz).date(), time(), tz)
    released_today = dbsession.execute(
        select(func.count()).select_from(Recovery).where(
            Recovery.campaign_id == campaign.id, Recovery.released_at >= today,
            Recovery.released_at < today + timedelta(days=1))
    ).scalar_one()
    owed = dbsession.execute(
        select(Recovery).where(Recovery.campaign_id == campaign.id, Recovery.state == "owed")
        .order_by(Recovery.created_at, Recovery.id)
    ).scalars().all()
    batch = owed[:releasable_today(campaign.recoveries_per_day, released_today, len(owed))]
    for recovery in batch:
        recovery.state, recovery.released_at = "released", now
    return len(batch)
