"""The periodic tasks (spec §7) and, without Redis, the scheduler that runs them in the web process.

``PERIODIC_TASKS`` is the one list: RQ's scheduler reads it (`rq cron portal.jobs.cron`) when Redis is
configured; with no Redis URL (the default of `make run`) a daemon thread of the web process runs
the same tasks at the same times, each in a transaction of its own. `portal-manage <ini> run-periodic`
runs every task once.
"""
import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from croniter import croniter

from portal.jobs.outbox import relay, run_task
from portal.settings import as_bool

log = logging.getLogger(__name__)
RELAY = "portal.jobs.outbox:relay"
# The first round waits this long after the app is built (the server is starting), then runs every
# task once: a development server often lives less than an hour, the hourly tasks would never run.
STARTUP_DELAY = timedelta(seconds=5)
# The thread wakes up at least this often, so that a clock change never leaves it asleep for long.
LONGEST_SLEEP = 60


@dataclass(frozen=True)
class PeriodicTask:
    function: str  # "package.module:function", called as function(dbsession, context)
    cron: str | None = None  # a crontab line, as RQ reads it (the server's local time)
    interval: int | None = None  # seconds

    def next_run(self, after):
        """The first time strictly after ``after`` (aware) the task is due."""
        if self.interval is not None:
            return after + timedelta(seconds=self.interval)
        local = croniter(self.cron, after.astimezone().replace(tzinfo=None)).get_next(datetime)
        return datetime.fromtimestamp(local.timestamp(), timezone.utc)


PERIODIC_TASKS = (
    # Push outbox rows that missed their after-commit push (Redis was down, a process died).
    PeriodicTask(RELAY, interval=60),
    # Rule 11: release recoveries of delivered campaigns, a few a day (hourly runs are safe).
    PeriodicTask("callcenter.lifecycle.recoveries:release_recoveries", cron="5 * * * *"),
    # Rule 3: tomorrow's confirmation worklist, from each client's morning on; later runs add late bookings.
    PeriodicTask("callcenter.lifecycle.jobs:build_confirmation_worklists", cron="1 * * * *"),
    # The agents' agenda of the day, from each client's agenda time on, once per agent per day.
    PeriodicTask("callcenter.lifecycle.jobs:send_agendas", cron="2 * * * *"),
    # Reminders the campaign's reminder_hours before each meeting, once per start.
    PeriodicTask("callcenter.lifecycle.jobs:send_reminders", cron="*/10 * * * *"),
    # Excel exports older than `portal.export_keep_hours`: their files and rows.
    PeriodicTask("callcenter.reports.exports:remove_old_exports", cron="35 * * * *"),
    # Sign-in failures past the lockout's window, audit events past `portal.signin.events_keep_days`.
    PeriodicTask("portal.accounts.signin:prune_sign_in_records", cron="40 * * * *"),
)


def run_periodic_task(task, context):
    """One run of ``task``: the relay manages its own sessions, every other task is one transaction."""
    if task.function == RELAY:
        return relay(context)
    return run_task(task.function, context)


def run_all(context, tasks=PERIODIC_TASKS):
    """Every task once, in order: {function: result, or the exception it raised}. A task that fails
    is logged and rolled back; the others still run."""
    results = {}
    for task in tasks:
        try:
            results[task.function] = run_periodic_task(task, context)
            log.debug("periodic task %s: %s", task.function, results[task.function])
        except Exception as error:  # one task's failure must not stop the others
            log.exception("periodic task %s failed", task.function)
            results[task.function] = error
    return results


class InProcessScheduler:
    """The periodic tasks on a daemon thread of the web process, for development without Redis."""

    def __init__(self, context, tasks=PERIODIC_TASKS, *, now):
        self.context = context
        self.tasks = tasks
        first = now + STARTUP_DELAY
        self.due = {task: first for task in tasks}
        self.stopped = threading.Event()
        self.thread = None

    def tick(self, now):
        """Run the tasks due at ``now`` (each in its own transaction, a failure logged and the others
        run), and schedule their next runs. Returns {function: result or exception} of those run."""
        ready = tuple(task for task in self.tasks if self.due[task] <= now)
        results = run_all(self.context, ready)
        for task in ready:
            self.due[task] = task.next_run(now)
        return results

    def seconds_to_wait(self, now):
        earliest = min(self.due.values())
        return min(max((earliest - now).total_seconds(), 0), LONGEST_SLEEP)

    def start(self):
        self.thread = threading.Thread(target=self._loop, name="periodic-tasks", daemon=True)
        self.thread.start()

    def stop(self):
        self.stopped.set()

    def _loop(self):
        while not self.stopped.wait(self.seconds_to_wait(utcnow())):
            try:
                self.tick(utcnow())
            except Exception:  # the scheduler itself must outlive anything (a broken database, ...)
                log.exception("periodic tasks: a round failed")


def utcnow():
    return datetime.now(timezone.utc)


_started = {}  # process id -> its scheduler: one per process, also after a fork
_lock = threading.Lock()


def start_in_process_scheduler(registry, context):
    """Start the scheduler once per process when no Redis URL is set and the setting allows it
    (`portal.in_process_scheduler`, default true); with Redis, `rq cron portal.jobs.cron` does the work."""
    settings = registry.settings
    if settings.get("portal.redis_url") or not as_bool(settings.get("portal.in_process_scheduler", "true")):
        return None
    with _lock:
        if os.getpid() in _started:
            return _started[os.getpid()]
        scheduler = InProcessScheduler(context, now=utcnow())
        scheduler.start()
        _started[os.getpid()] = scheduler
        log.info("periodic tasks run in-process (no Redis URL)")
        return scheduler
