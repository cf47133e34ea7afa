"""Periodic jobs, for RQ's own scheduler: `rq cron portal.jobs.cron --url $PORTAL_REDIS_URL`
(`make worker` starts it beside a worker). The tasks and their times are those of
``portal.jobs.periodic.PERIODIC_TASKS``, which the in-process scheduler runs when there is no Redis."""
from rq import cron

from portal.jobs.outbox import QUEUE, relay, run_task
from portal.jobs.periodic import PERIODIC_TASKS, RELAY

for task in PERIODIC_TASKS:
    if task.function == RELAY:
        cron.register(relay, queue_name=QUEUE, interval=task.interval, cron=task.cron)
    else:
        cron.register(run_task, queue_name=QUEUE, args=(task.function,), interval=task.interval, cron=task.cron)
