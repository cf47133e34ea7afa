"""A job for the worker-killing test: it waits while its Redis key says so, then alerts."""
import time

from campaigns.alerts import send_quota_alert


def slow_alert(dbsession, context, *, campaign_id, threshold, hold_key):
    deadline = time.monotonic() + 60
    while context.redis.get(hold_key) and time.monotonic() < deadline:
        time.sleep(0.1)
    return send_quota_alert(dbsession, context, campaign_id=campaign_id, threshold=threshold)
