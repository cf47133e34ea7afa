"""Account managers find and decide pending cancellation requests (spec §3, §5 rule 5, §6, §8): the worklist
page linked from the dashboard, the ``pending_request`` filter of the appointments lists, and the mails to the
account manager (request made) and to the requester (request decided), each in the recipient's language."""
import email
import os
from email.header import decode_header, make_header

import pytest
from sqlalchemy import select

from callcenter.lifecycle.models import SentMail
from callcenter.appointments.models import Appointment
from callcenter.lifecycle.notifications import send_cancellation_notice
from portal.mail.delivery import MAIL_FUNCTION
from portal.jobs.outbox import OutboxJob, get_context, run
from tests.factories import Tenant
from tests.functional.conftest import csrf_token, login
from tests.functional.lifecycle.test_lifecycle_api import ROLES, book, path_of

FRIDAY_10 = "2026-11-27T10:00:00+01:00"
WORKLIST = "/dashboard/cancellation-requests"


def inbox(app):
    """{file name: (recipients, subject, body)} of the mails written to the test maildir."""
    folder = os.path.join(app.registry.settings["mail.queue_path"], "new")
    found = {}
    for name in (os.listdir(folder) if os.path.isdir(folder) else []):
        with open(os.path.join(folder, name), "rb") as handle:
            message = email.message_from_binary_file(handle)
        found[name] = (message["To"], str(make_header(decode_header(message["Subject"]))),
                       message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8"))
    return found


def new_mails(app, before):
    return [mail for name, mail in inbox(app).items() if name not in before]


def ask(api, tenant, appointment, user=None, status=201, reason="wrong_target"):
    return api(user or tenant.client_user).post(path_of(tenant, appointment) + "/cancellation-request",
                                                {"reason": reason, "notes": "Non è il titolare"}, status=status)


# --- the worklist page ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_who_opens_the_worklist(testapp, tenant, role):
    login(testapp, tenant.user(role))
    testapp.get(WORKLIST, status=200 if role in ("account_manager", "admin") else 403)


def test_the_worklist_shows_an_account_manager_the_requests_of_the_portfolio(testapp, api, dbsession, tenant):
    other = Tenant(dbsession)
    ours, theirs = book(api, tenant), book(api, other)
    ask(api, tenant, ours)
    ask(api, other, theirs)
    decided = book(api, tenant, start=FRIDAY_10)
    ask(api, tenant, decided)
    api(tenant.account_manager).post(path_of(tenant, decided) + "/cancellation-request/reject", status=200)

    def listed(user):
        testapp.reset()
        login(testapp, user)
        return [row["data-request"] for row in testapp.get(WORKLIST).html.select("tr.pending-request")]

    assert listed(tenant.account_manager) == [f"{tenant.client.slug}/{ours['number']}"]
    assert listed(other.account_manager) == [f"{other.client.slug}/{theirs['number']}"]
    assert sorted(listed(tenant.admin)) == sorted([f"{tenant.client.slug}/{ours['number']}",
                                                   f"{other.client.slug}/{theirs['number']}"])


def test_the_dashboard_count_links_to_the_campaigns_requests_and_they_are_decided_there(
        testapp, api, dbsession, tenant):
    first, second = book(api, tenant), book(api, tenant, start=FRIDAY_10)
    ask(api, tenant, first)
    ask(api, tenant, second)
    login(testapp, tenant.account_manager)
    dashboard = testapp.get("/dashboard/")
    row = dashboard.html.find("tr", attrs={"data-campaign": f"{tenant.client.slug}/{tenant.campaign.slug}"})
    worklist = testapp.get(row.find("td", attrs={"data-col": "pending_requests"}).a["href"])
    assert len(worklist.html.select("tr.pending-request")) == 2
    form = worklist.forms["decide-1"]
    form["notes"] = "Verified"
    back = form.submit("approve", status=302)
    assert back.location.endswith(WORKLIST)
    page = back.follow()
    assert [row["data-request"] for row in page.html.select("tr.pending-request")] == [
        f"{tenant.client.slug}/{second['number']}"]
    page.forms["decide-1"].submit("reject", status=302)
    assert testapp.get(WORKLIST).html.select("#no-pending-requests")
    states = dict(dbsession.execute(select(Appointment.number, Appointment.state)
                                    .where(Appointment.client_id == tenant.client.id)).all())
    assert (states[first["number"]], states[second["number"]]) == ("cancelled", "to_confirm")


def test_an_account_manager_cannot_decide_another_portfolios_request_from_a_forged_form(
        testapp, api, dbsession, tenant):
    other = Tenant(dbsession)
    theirs = book(api, other)
    ask(api, other, theirs)
    login(testapp, tenant.account_manager)
    testapp.post(path_of(other, theirs) + "/cancellation-request/decide",
                 {"csrf_token": csrf_token(testapp), "approve": "approve", "came_from": "cancellation-requests"},
                 status=403)


# --- the filter of the lists ---------------------------------------------------------------------


def test_the_lists_filter_the_appointments_with_a_pending_request(testapp, api, tenant):
    pending, rejected, untouched = (book(api, tenant), book(api, tenant, start=FRIDAY_10),
                                    book(api, tenant, start="2026-11-26T14:00:00+01:00"))
    ask(api, tenant, pending)
    ask(api, tenant, rejected)
    api(tenant.account_manager).post(path_of(tenant, rejected) + "/cancellation-request/reject", status=200)
    for role in ("client", "account_manager"):
        client = api(tenant.user(role))
        for path in (f"/clients/{tenant.client.slug}/appointments", f"/clients/{tenant.client.slug}/zones/"
                     f"{tenant.zone.slug}/appointments"):
            assert [item["number"] for item in client.get(path, pending_request="1").json["items"]] == [
                pending["number"]]
            assert len(client.get(path, pending_request="0").json["items"]) == 3
    assert api(tenant.client_user).get(f"/clients/{tenant.client.slug}/appointments", status=400,
                                       pending_request="maybe").json["error"]["field"] == "pending_request"
    login(testapp, tenant.client_user)
    page = testapp.get(f"/clients/{tenant.client.slug}/appointments/?pending_request=1")
    assert page.html.select_one("#f-pending-request").has_attr("checked")
    assert untouched["number"] not in [int(a.get_text()) for a in page.html.select("table tbody tr td:first-child a")
                                       if a.get_text().strip().isdigit()]


# --- the mails -----------------------------------------------------------------------------------


def test_a_request_mails_the_account_manager_once_in_his_language(app, api, dbsession, tenant):
    tenant.account_manager.language = "en"
    dbsession.flush()
    appointment = book(api, tenant)
    before = inbox(app)
    ask(api, tenant, appointment)
    [(to, subject, body)] = new_mails(app, before)
    assert to == tenant.account_manager.email
    assert subject.startswith(f"[{tenant.client.name}] Cancellation request: appointment no. {appointment['number']}")
    assert "Reason: Wrong target" in body and "Non è il titolare" in body
    # The job run again (RQ delivering it twice, or its outbox mark lost) sends nothing more.
    job = dbsession.execute(select(OutboxJob).where(OutboxJob.function != MAIL_FUNCTION)
                            .order_by(OutboxJob.id.desc())).scalars().first()
    assert run(job.id) == "already done"
    mail = dbsession.execute(select(OutboxJob).where(OutboxJob.function == MAIL_FUNCTION)
                             .order_by(OutboxJob.id.desc())).scalars().first()
    assert run(mail.id) == "already done"  # the mail's own row: done once the server took it, not sent again
    request_id = job.kwargs["request_id"]
    assert send_cancellation_notice(dbsession, get_context(), request_id=request_id,
                                    kind="cancellation_requested") == "already sent"
    assert len(new_mails(app, before)) == 1


def test_a_decision_mails_the_requester_in_his_language(app, api, dbsession, tenant):
    for action, word in (("approve", "approvato"), ("reject", "respinto")):
        appointment = book(api, tenant, start=FRIDAY_10 if action == "reject" else "2026-11-26T10:00:00+01:00")
        ask(api, tenant, appointment, user=tenant.zone_manager)
        before = inbox(app)
        api(tenant.account_manager).post(path_of(tenant, appointment) + f"/cancellation-request/{action}",
                                         {"notes": "Visto"}, status=200)
        [(to, subject, body)] = new_mails(app, before)
        assert to == tenant.zone_manager.email
        assert f"Annullamento {word}: appuntamento n. {appointment['number']}" in subject
        assert "Note: Visto" in body
        assert ("recupero" in body) == (action == "approve")


def test_a_refused_request_or_decision_mails_nobody(app, api, dbsession, tenant):
    appointment = book(api, tenant)
    ask(api, tenant, appointment)
    before, sent = inbox(app), dbsession.execute(select(SentMail)).scalars().all()
    assert ask(api, tenant, appointment, status=409).json["error"]["code"] == "conflict"  # one pending at a time
    assert ask(api, tenant, appointment, user=tenant.operator, status=403).json["error"]["code"] == "forbidden"
    other = Tenant(dbsession)
    api(other.account_manager).post(path_of(tenant, appointment) + "/cancellation-request/approve", status=403)
    assert new_mails(app, before) == []
    assert dbsession.execute(select(SentMail)).scalars().all() == sent


def test_no_mail_before_the_transaction_commits(dbsession, tenant, api):
    """The service only asks for the job: a transaction that rolls back leaves nothing to send."""
    from datetime import datetime, timezone

    from callcenter.lifecycle import services as lifecycle

    appointment = dbsession.execute(select(Appointment).where(Appointment.number == book(api, tenant)["number"],
                                                              Appointment.client_id == tenant.client.id)).scalar_one()
    savepoint = dbsession.begin_nested()
    lifecycle.request_cancellation(dbsession, appointment, reason="wrong_target", notes="", actor=tenant.client_user,
                                   now=datetime(2026, 11, 23, 8, tzinfo=timezone.utc))
    jobs = dbsession.execute(select(OutboxJob).where(OutboxJob.done_at.is_(None))).scalars().all()
    assert [job.function for job in jobs] == ["callcenter.lifecycle.notifications:send_cancellation_notice"]
    savepoint.rollback()
    assert dbsession.execute(select(OutboxJob).where(OutboxJob.done_at.is_(None))).scalars().all() == []
    assert dbsession.execute(select(SentMail)).scalars().all() == []
