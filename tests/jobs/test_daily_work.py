"""The daily work (spec §5 rule 3, §7, §8): which clients are due and which meetings need a reminder,
across the Europe/Rome DST changes; the worklist built each morning; the agents' agenda and the
reminders mailed once, from the templates, and only when the task's transaction commits."""
import email
import email.policy
import os
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import transaction
from sqlalchemy import func, select

from callcenter.booking.services import book_appointment
from callcenter.lifecycle.jobs import clients_due, day_bounds, due_day, reminder_due, reminder_moment, send_agendas
from callcenter.lifecycle.models import ConfirmationCall, SentMail
from callcenter.lifecycle.services import confirm, postpone
from campaigns.mail_templates import save_template
from portal.db import get_tm_session
from portal.jobs.outbox import get_context, run_task
from tests.conftest import NOW
from tests.factories import Tenant
from tests.jobs.conftest import work
from tests.portal.jobs.test_outbox import mails

ROME = ZoneInfo("Europe/Rome")
UTC = timezone.utc
PROSPECT = {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}


def rome(*args):
    return datetime(*args, tzinfo=ROME)


# --- Which clients are due, which meetings need a reminder (pure) ----------------------------------------


class Client:
    def __init__(self, tz):
        self.timezone = tz


@pytest.mark.parametrize("now, expected", [
    (datetime(2026, 10, 24, 4, 59, tzinfo=UTC), None),  # 06:59 CEST, Saturday before the change
    (datetime(2026, 10, 24, 5, 0, tzinfo=UTC), date(2026, 10, 24)),  # 07:00 CEST
    (datetime(2026, 10, 25, 5, 30, tzinfo=UTC), None),  # 06:30 CET: the clocks went back an hour
    (datetime(2026, 10, 25, 6, 0, tzinfo=UTC), date(2026, 10, 25)),  # 07:00 CET
    (datetime(2027, 3, 28, 5, 30, tzinfo=UTC), date(2027, 3, 28)),  # 07:30 CEST: the clocks went forward
    (datetime(2027, 3, 28, 4, 59, tzinfo=UTC), None),  # 06:59 CEST
    (datetime(2027, 3, 27, 5, 59, tzinfo=UTC), None),  # 06:59 CET the day before
])
def test_the_agenda_is_due_from_seven_in_rome_across_dst(now, expected):
    assert due_day(now, "Europe/Rome", time(7)) == expected


def test_each_client_is_due_by_its_own_clock():
    rome_client, lisbon_client = Client("Europe/Rome"), Client("Europe/Lisbon")
    now = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)  # 07:30 in Rome, 06:30 in Lisbon
    assert clients_due(now, [rome_client, lisbon_client], time(7)) == [(rome_client, date(2026, 11, 23))]
    late = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # already the 24th in Rome, still the 23rd in Lisbon
    assert clients_due(late, [rome_client, lisbon_client], time(7)) == [(lisbon_client, date(2026, 11, 23))]


def test_a_day_across_the_dst_change_is_one_day_of_23_or_25_hours():
    start, end = day_bounds(date(2026, 10, 25), "Europe/Rome")
    assert (start, end - start) == (datetime(2026, 10, 24, 22, tzinfo=UTC), timedelta(hours=25))
    start, end = day_bounds(date(2027, 3, 28), "Europe/Rome")
    assert (start, end - start) == (datetime(2027, 3, 27, 23, tzinfo=UTC), timedelta(hours=23))


def test_a_reminder_24_hours_ahead_is_elapsed_time_across_dst():
    meeting = rome(2026, 10, 25, 10, 0)  # Sunday of the change, 10:00 CET = 09:00 UTC
    assert reminder_moment(meeting, 24) == datetime(2026, 10, 24, 9, tzinfo=UTC)  # 11:00 CEST: 25 wall hours
    assert not reminder_due(meeting, rome(2026, 10, 24, 10, 59), 24)
    assert reminder_due(meeting, rome(2026, 10, 24, 11, 0), 24)
    spring = rome(2027, 3, 28, 10, 0)  # 08:00 UTC
    assert reminder_moment(spring, 24) == datetime(2027, 3, 27, 8, tzinfo=UTC)  # 09:00 CET: 23 wall hours
    assert reminder_due(spring, rome(2027, 3, 27, 9, 0), 24) and not reminder_due(spring, rome(2027, 3, 27, 8, 59), 24)


def test_no_reminder_without_hours_nor_once_the_meeting_started():
    meeting = rome(2026, 11, 26, 10, 0)
    assert not reminder_due(meeting, rome(2026, 11, 26, 9, 0), None)
    assert not reminder_due(meeting, rome(2026, 11, 26, 10, 0), 24)
    assert reminder_due(meeting, rome(2026, 11, 26, 9, 59), 24)


# --- Services through the task runner (the job's own transaction, the transactional mailer) ------------


def in_zone_of(agent):
    """A prospect of the agent's zone: booking checks the routing (rule 13)."""
    return dict(PROSPECT, postal_code=agent.zones[0].postal_codes[0])


@pytest.fixture
def day(app, dbsession):
    """A client with two agents; meetings on Thursday 26 November (booked on Monday 23)."""
    tenant = Tenant(dbsession)
    tenant.agent.email = "rossi@example.test"
    tenant.other_agent.email = "verdi@example.test"

    def book(start, agent=None, campaign=None):
        agent = agent or tenant.agent
        appointment = book_appointment(dbsession, campaign=campaign or tenant.campaign, agent=agent,
                                       start=start, prospect=in_zone_of(agent), booked_by=tenant.operator, now=NOW)
        dbsession.flush()
        return appointment

    tenant.book = book
    return tenant


def sent(app, before):
    """The mails written since ``before``, parsed."""
    folder = os.path.join(app.registry.settings["mail.queue_path"], "new")
    return [email.message_from_bytes(open(os.path.join(folder, name), "rb").read(), policy=email.policy.default)
            for name in mails(app)[before:]]


def body(message):
    return message.get_content()


def calls(dbsession):
    return dbsession.execute(select(ConfirmationCall.appointment_id, ConfirmationCall.work_date)
                             .order_by(ConfirmationCall.appointment_id)).all()


def test_the_worklist_is_built_in_the_morning_once_and_topped_up(app, dbsession, clock, day):
    first = day.book(rome(2026, 11, 26, 10, 0))
    second = day.book(rome(2026, 11, 26, 17, 0), agent=day.other_agent)
    day.book(rome(2026, 11, 27, 10, 0))  # the day after: not on Wednesday's list
    confirmed = day.book(rome(2026, 11, 26, 15, 0))
    confirm(dbsession, confirmed, actor=day.operator, now=NOW)
    dbsession.flush()
    clock.now = rome(2026, 11, 25, 5, 59)
    assert run_task("callcenter.lifecycle.jobs:build_confirmation_worklists") == 0  # before 06:00
    clock.now = rome(2026, 11, 25, 6, 5)
    assert run_task("callcenter.lifecycle.jobs:build_confirmation_worklists") == 2
    assert calls(dbsession) == [(first.id, date(2026, 11, 25)), (second.id, date(2026, 11, 25))]
    clock.now = rome(2026, 11, 25, 7, 5)
    assert run_task("callcenter.lifecycle.jobs:build_confirmation_worklists") == 0  # the hourly run adds nothing

    late = day.book(rome(2026, 11, 30, 10, 0))
    postpone(dbsession, late, start=rome(2026, 11, 26, 17, 0), actor=day.operator, now=clock.now)
    dbsession.flush()
    clock.now = rome(2026, 11, 25, 8, 5)
    assert run_task("callcenter.lifecycle.jobs:build_confirmation_worklists") == 1  # moved to tomorrow since
    assert [row.appointment_id for row in dbsession.execute(select(ConfirmationCall)).scalars()] == [
        first.id, second.id, late.id]


def test_the_worklist_of_the_day_before_the_dst_change_holds_the_whole_long_day(app, dbsession, clock):
    tenant = Tenant(dbsession)
    booked = [book_appointment(dbsession, campaign=tenant.campaign, agent=agent, start=start,
                               prospect=in_zone_of(agent), booked_by=tenant.operator, now=start - timedelta(days=3),
                               out_of_schedule=True, may_book_out_of_schedule=True)
              for start, agent in ((rome(2026, 10, 26, 0, 30), tenant.agent), (rome(2026, 10, 25, 23, 30),
                                   tenant.other_agent), (rome(2026, 10, 25, 9, 0), tenant.agent))]
    dbsession.flush()
    clock.now = datetime(2026, 10, 24, 4, 30, tzinfo=UTC)  # 06:30 CEST on Saturday 24
    assert run_task("callcenter.lifecycle.jobs:build_confirmation_worklists") == 2
    assert {row.appointment_id for row in dbsession.execute(select(ConfirmationCall)).scalars()} == {
        booked[1].id, booked[2].id}


def test_each_agent_gets_one_agenda_of_the_day_whatever_the_runs(app, dbsession, clock, day):
    day.book(rome(2026, 11, 26, 14, 0))
    day.book(rome(2026, 11, 26, 10, 0))
    day.book(rome(2026, 11, 26, 11, 0), agent=day.other_agent)
    day.book(rome(2026, 11, 27, 10, 0))  # Friday: not in Thursday's agenda
    before = len(mails(app))
    clock.now = rome(2026, 11, 26, 6, 55)
    assert run_task("callcenter.lifecycle.jobs:send_agendas") == 0
    clock.now = rome(2026, 11, 26, 7, 2)
    assert run_task("callcenter.lifecycle.jobs:send_agendas") == 2
    assert run_task("callcenter.lifecycle.jobs:send_agendas") == 0
    clock.now = rome(2026, 11, 26, 8, 2)
    assert run_task("callcenter.lifecycle.jobs:send_agendas") == 0
    messages = {message["To"]: message for message in sent(app, before)}
    assert sorted(messages) == ["rossi@example.test", "verdi@example.test"]
    rossi = messages["rossi@example.test"]
    assert rossi["Subject"] == "Appuntamenti di giovedì 26 novembre 2026 (2)"
    text = body(rossi)
    assert text.index("10:00-11:00") < text.index("14:00-15:00")  # in the order of the day
    assert "Bar Centrale" in text and "+39 02 1234567" in text and "da confermare" in text.lower()
    assert dbsession.execute(select(func.count()).select_from(SentMail)).scalar() == 2


def test_the_agenda_follows_the_clients_template_and_the_agents_language(app, dbsession, clock, day):
    day.book(rome(2026, 11, 26, 10, 0))
    day.agent_user.email = "rossi@example.test"
    day.agent_user.language = "en"
    texts = {"it": {"subject": "Giro del {{ day }}", "body": "{% for a in appointments %}{{ a.prospect }}{% endfor %}"},
             "en": {"subject": "Round of {{ day }}", "body": "{% for a in appointments %}{{ a.prospect }} "
                    "({{ a.state }}){% endfor %}"}}
    save_template(dbsession, "agenda", day.client, texts, actor=day.account_manager, now=NOW)
    dbsession.flush()
    before = len(mails(app))
    clock.now = rome(2026, 11, 26, 7, 2)
    assert run_task("callcenter.lifecycle.jobs:send_agendas") == 1
    [message] = sent(app, before)
    assert (message["Subject"], body(message)) == ("Round of Thursday 26 November 2026", "Bar Centrale (To confirm)")


def test_a_rolled_back_run_mails_nobody_and_records_nothing(app, dbsession, clock, day):
    day.book(rome(2026, 11, 26, 10, 0))
    before = len(mails(app))
    clock.now = rome(2026, 11, 26, 7, 2)
    context = get_context()
    transaction.begin()
    session = get_tm_session(context.session_factory, transaction.manager)
    assert send_agendas(session, context) == 1
    transaction.abort()
    assert len(mails(app)) == before
    assert dbsession.execute(select(func.count()).select_from(SentMail)).scalar() == 0
    assert run_task("callcenter.lifecycle.jobs:send_agendas") == 1  # the next run sends it
    assert len(mails(app)) == before + 1


def test_reminders_leave_once_per_start_and_again_for_a_new_time(app, dbsession, clock, day):
    day.campaign.reminder_hours = 24
    meeting = day.book(rome(2026, 11, 26, 10, 0))
    day.book(rome(2026, 11, 27, 10, 0))  # later: not yet
    before = len(mails(app))
    clock.now = rome(2026, 11, 25, 9, 59)
    assert run_task("callcenter.lifecycle.jobs:send_reminders") == 0
    clock.now = rome(2026, 11, 25, 10, 0)
    assert run_task("callcenter.lifecycle.jobs:send_reminders") == 1
    clock.now = rome(2026, 11, 25, 10, 10)
    assert run_task("callcenter.lifecycle.jobs:send_reminders") == 0
    [message] = sent(app, before)
    assert message["To"] == "rossi@example.test" and "Bar Centrale" in message["Subject"]
    assert "gio 26 nov 2026" in message["Subject"] and "10:00" in message["Subject"]

    postpone(dbsession, meeting, start=rome(2026, 11, 26, 16, 0), actor=day.operator, now=clock.now)
    dbsession.flush()
    clock.now = rome(2026, 11, 25, 16, 0)
    assert run_task("callcenter.lifecycle.jobs:send_reminders") == 1
    assert "16:00" in sent(app, before)[-1]["Subject"]


def test_a_campaign_without_reminder_hours_sends_none(app, dbsession, clock, day):
    day.book(rome(2026, 11, 26, 10, 0))
    clock.now = rome(2026, 11, 26, 9, 0)
    assert run_task("callcenter.lifecycle.jobs:send_reminders") == 0


def test_the_campaigns_reminder_template_wins_over_the_clients(app, dbsession, clock, day):
    day.campaign.reminder_hours = 2
    day.book(rome(2026, 11, 26, 10, 0))
    client_texts = {language: {"subject": "client {{ hours }}", "body": "x"} for language in ("it", "en")}
    campaign_texts = {language: {"subject": "campaign {{ hours }}h {{ appointment.number }}", "body": "y"}
                      for language in ("it", "en")}
    save_template(dbsession, "reminder", day.client, client_texts, actor=day.admin, now=NOW)
    save_template(dbsession, "reminder", day.client, campaign_texts, actor=day.admin, now=NOW, campaign=day.campaign)
    dbsession.flush()
    before = len(mails(app))
    clock.now = rome(2026, 11, 26, 8, 30)
    assert run_task("callcenter.lifecycle.jobs:send_reminders") == 1
    assert sent(app, before)[0]["Subject"] == "campaign 2h 1"


def test_an_agent_without_an_address_of_his_own_is_mailed_at_his_login(app, dbsession, clock, day):
    day.agent.email = ""
    day.book(rome(2026, 11, 26, 10, 0))
    before = len(mails(app))
    clock.now = rome(2026, 11, 26, 7, 2)
    assert run_task("callcenter.lifecycle.jobs:send_agendas") == 1
    assert sent(app, before)[0]["To"] == day.agent_user.email


def test_the_periodic_tasks_run_on_a_real_worker(app, dbsession, clock, jobs, day):  # noqa: F811
    """What `rq cron portal.jobs.cron` enqueues: the tasks on the real Redis, run by a real worker."""
    day.book(rome(2026, 11, 26, 10, 0))
    before = len(mails(app))
    clock.now = rome(2026, 11, 25, 7, 2)
    for task in ("build_confirmation_worklists", "send_agendas"):
        jobs.queue().enqueue_call(run_task, args=(f"callcenter.lifecycle.jobs:{task}",))
    work(jobs)
    assert len(calls(dbsession)) == 1
    clock.now = rome(2026, 11, 26, 7, 2)
    jobs.queue().enqueue_call(run_task, args=("callcenter.lifecycle.jobs:send_agendas",))
    jobs.queue().enqueue_call(run_task, args=("callcenter.lifecycle.jobs:send_agendas",))  # the same task twice
    work(jobs)
    assert len(mails(app)) == before + 1
