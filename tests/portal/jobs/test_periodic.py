"""Periodic jobs without Redis (spec §7): one list of tasks for RQ's scheduler and the in-process one,
a round that survives a failing task and commits each task's effect, and `portal-manage run-periodic`."""
import logging
from datetime import datetime, timedelta, timezone

import pytest
import transaction
from sqlalchemy import select

from callcenter import manage
from callcenter.booking.services import book_appointment
from callcenter.lifecycle.models import ConfirmationCall
from portal.jobs import outbox
from portal.jobs.outbox import OutboxJob, request_job
from portal.jobs.periodic import (PERIODIC_TASKS, RELAY, STARTUP_DELAY, InProcessScheduler, PeriodicTask,
                             start_in_process_scheduler)
from tests.conftest import NOW, ROOT
from tests.factories import Tenant

UTC = timezone.utc
PROSPECT = {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}
WORKLIST = "callcenter.lifecycle.jobs:build_confirmation_worklists"
FAILING = "tests.portal.jobs.test_periodic:failing_task"
ROUND = NOW + STARTUP_DELAY


def failing_task(dbsession, context):
    """A task that writes, then fails: nothing of it may stay."""
    request_job(dbsession, "tests.portal.jobs.test_periodic:never", NOW)
    raise RuntimeError("broken task")


def recording_task(dbsession, context):
    request_job(dbsession, "tests.portal.jobs.test_periodic:recorded", NOW)
    return "recorded"


def recorded(dbsession, context):
    return "done"


@pytest.fixture
def tomorrow(app, dbsession, clock):
    """An appointment of Wednesday 25 November still to confirm: Tuesday morning's worklist gets it."""
    tenant = Tenant(dbsession)
    appointment = book_appointment(dbsession, campaign=tenant.campaign, agent=tenant.agent,
                                   start=datetime(2026, 11, 25, 9, 0, tzinfo=UTC), prospect=dict(PROSPECT),
                                   booked_by=tenant.operator, now=NOW - timedelta(days=3))
    dbsession.flush()
    clock.now = datetime(2026, 11, 24, 6, 30, tzinfo=UTC)  # 07:30 in Rome on Tuesday: past the worklist time
    return appointment


def calls(session_factory):
    with session_factory() as session:  # another session: only what was committed
        return session.execute(select(ConfirmationCall.appointment_id)).scalars().all()


def outbox_functions(session_factory):
    with session_factory() as session:
        return session.execute(select(OutboxJob.function).order_by(OutboxJob.id)).scalars().all()


def test_rq_and_the_in_process_scheduler_share_one_list_of_tasks():
    functions = [task.function for task in PERIODIC_TASKS]
    assert functions == [RELAY, "callcenter.lifecycle.recoveries:release_recoveries", WORKLIST,
                         "callcenter.lifecycle.jobs:send_agendas", "callcenter.lifecycle.jobs:send_reminders",
                         "callcenter.reports.exports:remove_old_exports", "portal.accounts.signin:prune_sign_in_records"]
    registered = [(data["func"].__name__, (data.get("args") or (None,))[0], data.get("interval"), data.get("cron"))
                  for data in rq_cron_registrations()]
    assert registered == [("relay", None, 60, None)] + [("run_task", task.function, task.interval, task.cron)
                                                        for task in PERIODIC_TASKS[1:]]


def rq_cron_registrations():
    """What `rq cron portal.jobs.cron` registers: the module run again into RQ's (cleared) registry."""
    import importlib

    from rq import cron

    import portal.jobs.cron

    cron._job_data_registry.clear()
    importlib.reload(portal.jobs.cron)
    registrations = list(cron._job_data_registry)
    cron._job_data_registry.clear()
    return registrations


def test_the_next_run_follows_the_crontab_line_or_the_interval():
    hourly = PeriodicTask("x", cron="5 * * * *")
    after = datetime(2026, 11, 23, 8, 7, tzinfo=UTC)
    assert hourly.next_run(after) - after <= timedelta(hours=1)
    assert hourly.next_run(after).minute == 5 and hourly.next_run(after) > after
    assert PeriodicTask("y", interval=60).next_run(after) == after + timedelta(seconds=60)


def test_a_round_runs_every_task_once_and_commits_each_tasks_effect(app, session_factory, tomorrow):
    scheduler = InProcessScheduler(outbox.get_context(), now=NOW)
    assert scheduler.tick(NOW) == {}  # the first round waits for the server to start
    results = scheduler.tick(ROUND)
    assert set(results) == {task.function for task in PERIODIC_TASKS}
    assert results[WORKLIST] == 1
    assert calls(session_factory) == [tomorrow.id]
    assert scheduler.tick(ROUND + timedelta(seconds=1)) == {}  # nothing due again so soon
    a_minute_later = scheduler.tick(ROUND + timedelta(seconds=60))
    assert RELAY in a_minute_later  # every minute; the hourly ones wait for their minute (:05, :35, ...)
    assert not {"callcenter.lifecycle.recoveries:release_recoveries", "callcenter.reports.exports:remove_old_exports"} & set(
        a_minute_later)


def test_a_failing_task_is_logged_rolled_back_and_the_others_still_run(app, session_factory, tomorrow, caplog):
    tasks = (PeriodicTask(FAILING, interval=60), PeriodicTask(WORKLIST, cron="1 * * * *"),
             PeriodicTask("tests.portal.jobs.test_periodic:recording_task", interval=60))
    scheduler = InProcessScheduler(outbox.get_context(), tasks, now=NOW)
    with caplog.at_level(logging.ERROR, logger="portal.jobs.periodic"):
        results = scheduler.tick(ROUND)
    assert isinstance(results[FAILING], RuntimeError)
    assert results[WORKLIST] == 1 and results["tests.portal.jobs.test_periodic:recording_task"] == "recorded"
    assert "periodic task tests.portal.jobs.test_periodic:failing_task failed" in caplog.text
    assert calls(session_factory) == [tomorrow.id]
    # The failing task's write was rolled back; the recording task's job ran in-process after its commit.
    assert outbox_functions(session_factory)[-1:] == ["tests.portal.jobs.test_periodic:recorded"]
    assert "tests.portal.jobs.test_periodic:never" not in outbox_functions(session_factory)
    assert scheduler.due[tasks[0]] == ROUND + timedelta(seconds=60)  # and it is tried again next minute
    assert not transaction.manager.isDoomed()


def test_the_scheduler_starts_only_without_redis_and_once_per_process(app, monkeypatch):
    from portal.jobs import periodic

    started = []
    monkeypatch.setattr(periodic, "_started", {})
    monkeypatch.setattr(InProcessScheduler, "start", lambda self: started.append(self))
    settings = app.registry.settings
    monkeypatch.setitem(settings, "portal.redis_url", "redis://127.0.0.1:6379/0")
    assert start_in_process_scheduler(app.registry, outbox.get_context()) is None
    monkeypatch.setitem(settings, "portal.redis_url", "")
    monkeypatch.setitem(settings, "portal.in_process_scheduler", "false")
    assert start_in_process_scheduler(app.registry, outbox.get_context()) is None
    monkeypatch.setitem(settings, "portal.in_process_scheduler", "true")
    first = start_in_process_scheduler(app.registry, outbox.get_context())
    assert start_in_process_scheduler(app.registry, outbox.get_context()) is first
    assert started == [first]


def test_the_tests_app_runs_no_scheduler(app):
    from portal.jobs import periodic

    assert periodic._started == {}


def test_run_periodic_runs_every_task_once_and_reports_a_failure(app, session_factory, tomorrow, capsys,
                                                                  monkeypatch):
    assert manage.run_periodic(outbox.get_context()) == 0
    printed = capsys.readouterr().out
    assert [line.split(":")[0] + ":" + line.split(":")[1] for line in printed.splitlines()] == [
        task.function for task in PERIODIC_TASKS]
    assert f"{WORKLIST}: 1" in printed
    assert calls(session_factory) == [tomorrow.id]

    monkeypatch.setattr(manage, "PERIODIC_TASKS", (PeriodicTask(FAILING, interval=60),) + PERIODIC_TASKS)
    assert manage.run_periodic(outbox.get_context()) == 1
    output = capsys.readouterr()
    assert "failing_task: failed: RuntimeError('broken task')" in output.err
    assert f"{WORKLIST}: 0" in output.out  # the others ran (nothing left to add)


def test_the_command_line_runs_them_against_the_ini_database(tmp_path, monkeypatch):
    """`portal-manage <ini> run-periodic` end to end, on a database of its own (SQLite)."""
    database = tmp_path / "portal.sqlite"
    ini = tmp_path / "portal.ini"
    ini.write_text(f"""[app:main]
use = egg:appointment-quota-portal
sqlalchemy.url = sqlite:///{database}
portal.secret = test-secret
portal.redis_url =
mail.queue_path = {tmp_path / "maildir"}

[alembic]
script_location = {ROOT / "migrations"}
sqlalchemy.url = sqlite:///{database}
""")
    monkeypatch.delenv("PORTAL_DATABASE_URL", raising=False)
    monkeypatch.delenv("PORTAL_REDIS_URL", raising=False)
    saved = outbox._context
    try:
        assert manage.main([str(ini), "migrate"]) == 0
        assert manage.main([str(ini), "run-periodic"]) == 0
    finally:
        outbox.set_context(saved)
    from portal.jobs import periodic

    assert periodic._started == {}  # a command never starts the web server's thread
