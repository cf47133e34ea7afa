"""Two runs of the agenda task at once, committing for real: each agent is mailed once (spec §7)."""
import os
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from agents.models import Agent
from callcenter.booking.services import book_appointment
from callcenter.lifecycle.models import SentMail
from campaigns.models import Campaign
from portal.accounts.models import User
from portal.jobs.outbox import run_task
from tests.concurrency.test_booking_races import committed_tenant  # noqa: F401
from tests.conftest import NOW

ROME = ZoneInfo("Europe/Rome")


def mail_count(wsgi_app):
    folder = os.path.join(wsgi_app.registry.settings["mail.queue_path"], "new")
    return len(os.listdir(folder)) if os.path.isdir(folder) else 0


def test_two_concurrent_agenda_runs_mail_each_agent_once(engine, wsgi_app, committed_tenant):  # noqa: F811
    names, ids, _tokens = committed_tenant
    with sessionmaker(bind=engine)() as session:
        campaign = session.get(Campaign, ids["campaign"])
        agent = session.execute(select(Agent).where(Agent.client_id == ids["client"],
                                                    Agent.slug == names["agents"][0])).scalar_one()
        agent.email = "rossi-races@example.test"
        operator = session.execute(select(User).where(User.id.in_(ids["users"]), User.role == "operator")).scalar_one()
        book_appointment(session, campaign=campaign, agent=agent, start=datetime(2026, 11, 26, 10, tzinfo=ROME),
                         prospect={"name": "Bar", "phone": "+39 02 1234567", "postal_code": "20121"},
                         booked_by=operator, now=NOW)
        session.commit()
    wsgi_app.registry["clock"] = lambda: datetime(2026, 11, 26, 7, 2, tzinfo=ROME)
    before = mail_count(wsgi_app)
    barrier = threading.Barrier(2)
    results = []

    def run():
        barrier.wait()
        results.append(run_task("callcenter.lifecycle.jobs:send_agendas"))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [0, 1]
    assert mail_count(wsgi_app) == before + 1
    with sessionmaker(bind=engine)() as session:
        assert session.execute(select(func.count()).select_from(SentMail)
                               .where(SentMail.client_id == ids["client"])).scalar() == 1
