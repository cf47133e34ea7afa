"""The client user's day in chromium: the folder's boxes, zone and agent subfolders, a cancellation
request with its reason, and the Excel export that openpyxl opens."""
import openpyxl
from sqlalchemy import select

from callcenter.appointments.models import Appointment, CancellationRequest
from tests.browser.conftest import login


def test_client_reads_the_folder_asks_to_cancel_and_exports(new_page, server, tmp_path):
    page = new_page()
    login(page, "cliente@demo.example")
    assert page.url.rstrip("/").endswith("/clients/demo")
    counts = {name: page.locator(f"[data-count='{name}']").first.inner_text()
              for name in ("purchased", "taken", "to_confirm")}
    assert counts == {"purchased": "200", "taken": "189", "to_confirm": "21"}

    page.locator("#zone-links").get_by_role("link", name="Milano").click()
    assert "/zones/milano" in page.url
    page.locator("#agent-links").get_by_role("link", name="Mario Rossi").click()
    assert "/agents/rossi" in page.url
    row = page.locator("#upcoming tbody tr").first
    number = int(row.get_attribute("data-number"))
    row.get_by_role("link").first.click()

    form = page.locator("#request")
    form.get_by_label("Motivo").select_option("wrong_target")
    form.get_by_label("Note").fill("Non è il titolare.")
    form.get_by_role("button").click()
    page.locator(".alert-success").wait_for()

    page.goto("/clients/demo/totals")
    with page.expect_download() as download:
        page.get_by_role("button", name="Esporta in Excel").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.suffix == ".xlsx"
    workbook = openpyxl.load_workbook(path, read_only=True)
    rows = sum(1 for sheet in workbook.worksheets for _row in sheet.iter_rows())
    assert rows > 193  # every appointment of the folder, plus the headings

    with server.session() as session:
        request = session.execute(select(CancellationRequest).join(Appointment).where(
            Appointment.number == number)).scalar_one()
        assert (request.reason, request.state, request.notes) == ("wrong_target", "pending", "Non è il titolare.")
