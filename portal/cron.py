"""Periodic jobs, for RQ's own scheduler: `rq cron portal.cron --url $PORTAL_REDIS_URL`
(`make worker` starts it beside a worker)."""
from rq import cron

from portal.outbox import QUEUE, relay, run_task

# Push outbox rows that missed their after-commit push (Redis was down, a process died).
cron.register(relay, queue_name=QUEUE, interval=60)
# Rule 11: release recoveries of delivered campaigns, a few a day (hourly runs are safe).
cron.register(run_task, queue_name=QUEUE, args=("callcenter.recoveries:release_recoveries",), cron="5 * * * *")
# Rule 3: tomorrow's confirmation worklist, from each client's morning on; later runs add late bookings.
cron.register(run_task, queue_name=QUEUE, args=("callcenter.jobs:build_confirmation_worklists",), cron="1 * * * *")
# The agents' agenda of the day, from each client's agenda time on, once per agent per day.
cron.register(run_task, queue_name=QUEUE, args=("callcenter.jobs:send_agendas",), cron="2 * * * *")
# Reminders the campaign's reminder_hours before each meeting, once per start.
cron.register(run_task, queue_name=QUEUE, args=("callcenter.jobs:send_reminders",), cron="*/10 * * * *")
# Excel exports older than `portal.export_keep_hours`: their files and rows.
cron.register(run_task, queue_name=QUEUE, args=("callcenter.exports:remove_old_exports",), cron="35 * * * *")
