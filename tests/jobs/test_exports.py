"""Large Excel exports run as jobs on a real RQ worker (real Redis), with progress, for their owner only."""
import os
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from callcenter.reports.exports import remove_old_exports
from callcenter.reports.models import Export
from tests.callcenter.reports.fixtures import Folder
from tests.functional.conftest import api, login  # noqa: F401 (api: a fixture)
from tests.jobs.conftest import work


@pytest.fixture
def small_batches(app):
    """Exports from 3 rows are jobs, reporting progress every 2 rows."""
    settings = app.registry.settings
    saved = {name: settings.get(name) for name in ("portal.export_direct_rows", "portal.export_progress_rows")}
    settings["portal.export_direct_rows"], settings["portal.export_progress_rows"] = "2", "2"
    yield
    settings.update(saved)


@pytest.fixture
def folder(dbsession):
    return Folder(dbsession)


def ask_for_export(testapp, folder, path, **filters):
    login(testapp, folder.tenant.client_user)
    page = testapp.get(path + "/totals", params=filters)
    return page.forms["export-form"].submit(status=302)


def test_a_large_export_runs_on_the_worker_to_100_percent_with_the_pages_numbers(
        testapp, app, dbsession, jobs, small_batches, folder):
    tenant = folder.tenant
    client_path = f"/clients/{tenant.client.slug}"
    redirect = ask_for_export(testapp, folder, client_path)
    status_page = redirect.follow()
    assert status_page.html.select_one("#export-status")["data-state"] == "queued"
    status_url = status_page.html.select_one("#export-status")["data-status-url"]
    assert testapp.get(status_url).json["percent"] == 0
    assert jobs.queue().count == 1

    work(jobs)
    status = testapp.get(status_url).json
    assert (status["state"], status["percent"], status["rows_done"], status["rows_total"]) == ("done", 100, 7, 7)
    page = testapp.get(redirect.location)
    assert page.html.select_one("#export-download")["href"] == status["download"]

    download = testapp.get(status["download"])
    path = Path(app.registry.settings["portal.export_dir"]) / "downloaded.xlsx"
    path.write_bytes(download.body)
    appointments, totals_sheet = load_workbook(path).worksheets
    rows = list(appointments.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == [1, 2, 3, 4, 5, 7, 6]  # by date
    assert rows[3][1].isoformat() == "2026-12-01T00:30:00"  # typed, in Rome's time
    assert rows[3][2] == "Confermato" and rows[3][13].startswith("Potenziale cliente assente")

    report = testapp.get("/api/v1" + client_path + "/totals").json
    sheet = list(totals_sheet.iter_rows(values_only=True))
    assert sheet[1][1:] == (report["to_confirm"], report["confirmed"], report["cancelled"], report["taken"],
                            report["total"])
    assert sheet[2][5] == report["recovered"] and sheet[3][5] == report["recoveries_owed"]
    by_month = {row[0]: row[1:] for row in sheet if row and row[0] and str(row[0])[:2] == "20"}
    assert by_month == {row["month"]: (row["to_confirm"], row["confirmed"], row["cancelled"], row["taken"],
                                       row["total"]) for row in report["by_month"]}


def test_progress_is_committed_while_the_job_runs(app, dbsession, jobs, small_batches, folder, testapp):
    """Each batch's progress is its own commit: seen from another session before the job ends."""
    from callcenter.reports import exports

    seen = []
    original = exports.progress_reporter

    def watching(session, context, export_id):
        progress = original(session, context, export_id)

        def report(rows_done, **values):
            progress(rows_done, **values)
            with context.session_factory() as other:
                seen.append(other.execute(select(Export.rows_done).where(Export.id == export_id)).scalar_one())
        return report

    exports.progress_reporter = watching
    try:
        redirect = ask_for_export(testapp, folder, f"/clients/{folder.tenant.client.slug}")
        work(jobs)
    finally:
        exports.progress_reporter = original
    assert seen == [0, 2, 4, 6, 7]
    assert testapp.get(redirect.location).html.select_one("#export-status")["data-state"] == "done"


def test_only_the_owner_may_follow_and_download_the_export(testapp, app, dbsession, jobs, small_batches, folder,
                                                          api):
    tenant = folder.tenant
    redirect = ask_for_export(testapp, folder, f"/clients/{tenant.client.slug}")
    work(jobs)
    export_path = redirect.location.replace("http://localhost", "")
    for role, status in (("client", 200), ("account_manager", 403), ("operator", 403), ("zone_manager", 403),
                         ("admin", 200)):
        api(tenant.user(role)).get(export_path, status=status)
    other_user = tenant.account_manager
    testapp.reset()
    login(testapp, other_user)
    testapp.get(export_path + "/download", status=403)
    testapp.get(f"/clients/{tenant.client.slug}/exports/999999", status=404)


def test_a_zone_managers_export_holds_only_the_zone(testapp, dbsession, jobs, small_batches, folder, api):
    tenant = folder.tenant
    created = api(tenant.zone_manager).post(f"/clients/{tenant.client.slug}/zones/{tenant.other_zone.slug}/export",
                                            {}, status=403)
    assert created.json["error"]["code"] == "forbidden"
    client = api(tenant.zone_manager)
    export = client.post(f"/clients/{tenant.client.slug}/zones/{tenant.zone.slug}/export",
                         {"from": "2026-11-01", "to": "2026-12-31"}).json
    assert export["state"] == "queued" and export["download"] is None
    work(jobs)
    done = client.get(export["url"].replace("http://localhost", "")).json
    assert (done["state"], done["rows_total"]) == ("done", 3)  # #1 #2 #3: the zone, until December
    row = dbsession.get(Export, export["id"])
    assert row.scope == {"zone_id": tenant.zone.id} and row.filters == {"from": "2026-11-01", "to": "2026-12-31"}


def test_an_export_that_cannot_be_written_fails_visibly(testapp, app, dbsession, jobs, small_batches, folder,
                                                        tmp_path):
    settings = app.registry.settings
    saved = settings["portal.export_dir"]
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    settings["portal.export_dir"] = str(blocker / "exports")
    try:
        redirect = ask_for_export(testapp, folder, f"/clients/{folder.tenant.client.slug}")
        work(jobs)
    finally:
        settings["portal.export_dir"] = saved
    page = testapp.get(redirect.location)
    assert page.html.select_one("#export-status")["data-state"] == "failed"
    testapp.get(redirect.location + "/download", status=409)


def test_without_redis_the_export_runs_in_process_after_commit(testapp, dbsession, small_batches, folder):
    redirect = ask_for_export(testapp, folder, f"/clients/{folder.tenant.client.slug}", agent=folder.tenant.other_agent.slug,
                              **{"from": "2026-11-01"})
    page = redirect.follow()
    status = testapp.get(page.html.select_one("#export-status")["data-status-url"]).json
    assert (status["state"], status["rows_total"], status["filters"]) == (
        "done", 3, {"agent": folder.tenant.other_agent.slug, "from": "2026-11-01"})


def test_old_exports_are_removed_with_their_files(testapp, app, dbsession, jobs, small_batches, folder, clock):
    ask_for_export(testapp, folder, f"/clients/{folder.tenant.client.slug}")
    work(jobs)
    export = dbsession.execute(select(Export)).scalars().all()[-1]
    assert os.path.exists(export.file_path)
    clock.now += timedelta(hours=47)
    assert remove_old_exports(dbsession, jobs) == 0
    clock.now += timedelta(hours=2)
    assert remove_old_exports(dbsession, jobs) == 1
    assert not os.path.exists(export.file_path)
