"""The confirmation worklist page shows the day's built worklist with each call's progress (rule 3)."""
from sqlalchemy import select

from callcenter.lifecycle.models import ConfirmationCall
from portal.jobs.outbox import run_task
from tests.functional.lifecycle.test_lifecycle_pages import choose as radio
from tests.functional.conftest import login, tenant  # noqa: F401
from tests.jobs.test_daily_work import day, rome  # noqa: F401


def choose(page, formid, result, notes):
    form = radio(page, formid, "result", result)
    form["notes"] = notes
    return form


def test_calls_not_reached_stay_with_their_attempts_and_notes_until_done(testapp, app, dbsession, clock, day):  # noqa: F811
    meeting = day.book(rome(2026, 11, 26, 10, 0))
    clock.now = rome(2026, 11, 25, 6, 5)
    assert run_task("callcenter.lifecycle.jobs:build_confirmation_worklists") == 1
    login(testapp, day.operator)
    page = testapp.get("/callcenter/confirmations")
    item = page.html.select_one(f'.worklist-item[data-number="{meeting.number}"]')
    assert (item["data-call"], item["data-attempts"]) == ("open", "0")
    formid = f"call-{day.client.id}-{meeting.number}"

    clock.now = rome(2026, 11, 25, 9, 30)
    choose(page, formid, "not_reached", "Segreteria telefonica").submit("record", status=302)
    page = testapp.get("/callcenter/confirmations")
    item = page.html.select_one(f'.worklist-item[data-number="{meeting.number}"]')
    assert (item["data-call"], item["data-attempts"]) == ("not_reached", "1")
    assert "Segreteria telefonica" in item.select_one(".call-notes").text
    assert page.html.select_one("#worklist-progress")["data-to-call"] == "1"

    clock.now = rome(2026, 11, 25, 11, 0)
    choose(page, formid, "confirmed", "Confermato dalla moglie").submit("record", status=302)
    page = testapp.get("/callcenter/confirmations")
    assert page.html.select(".worklist-item") == []
    done = page.html.select_one(f'.worklist-done-item[data-number="{meeting.number}"]')
    assert (done["data-call"], done["data-outcome"]) == ("done", "confirmed")
    assert done.select_one(".call-attempts").text == "2" and "Confermato dalla moglie" in done.text
    call = dbsession.execute(select(ConfirmationCall)).scalar_one()
    assert (call.attempts, call.outcome, call.notes, call.by_id) == (2, "confirmed", "Confermato dalla moglie",
                                                                      day.operator.id)


def test_an_appointment_moved_to_tomorrow_after_the_run_is_on_the_page(testapp, app, dbsession, clock, day):  # noqa: F811
    meeting = day.book(rome(2026, 11, 26, 10, 0))
    clock.now = rome(2026, 11, 25, 9, 0)  # no run of the task yet today
    login(testapp, day.operator)
    page = testapp.get("/callcenter/confirmations")
    assert [int(node["data-number"]) for node in page.html.select(".worklist-item")] == [meeting.number]
    assert dbsession.execute(select(ConfirmationCall.appointment_id)).scalars().all() == [meeting.id]


def test_the_api_records_a_call_not_reached_with_its_notes(testapp, app, dbsession, clock, day):  # noqa: F811
    from tests.factories import make_token

    meeting = day.book(rome(2026, 11, 26, 10, 0))
    clock.now = rome(2026, 11, 25, 9, 0)
    headers = {"Authorization": f"Bearer {make_token(dbsession, day.operator)}"}
    answer = testapp.post_json(f"/api/v1/clients/{day.client.slug}/appointments/{meeting.number}/confirmation-call",
                               {"result": "not_reached", "notes": "Nessuna risposta"}, headers=headers)
    assert answer.json["state"] == "to_confirm"
    call = dbsession.execute(select(ConfirmationCall)).scalar_one()
    assert (call.state, call.attempts, call.notes) == ("not_reached", 1, "Nessuna risposta")
