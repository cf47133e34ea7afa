"""The .xlsx import refuses what is no spreadsheet, zip bombs and too many rows, before reading it all (README "Bad input")."""
import re
import zipfile
from datetime import datetime
from io import BytesIO

import pytest

from callcenter.imports import services as imports
from callcenter.imports.services import import_limits, rows_from_xlsx, validated_rows
from portal.errors import RuleViolation
from tests.callcenter.imports.test_services import HEADER, row, xlsx
from tests.factories import Tenant


def refusal(stream, campaign, **limits):
    with pytest.raises(RuleViolation) as refused:
        rows_from_xlsx(stream, campaign, **limits)
    return refused.value


def lines(tenant, count):
    return [[tenant.agent.slug, datetime(2026, 10, 5, 9 + index % 8), "confermato", "Bar", "+39 02 111111", "20121"]
            for index in range(count)]


def test_a_zip_that_is_not_a_workbook_is_refused(dbsession):
    tenant = Tenant(dbsession)
    stream = BytesIO()
    with zipfile.ZipFile(stream, "w") as archive:
        archive.writestr("notes.txt", "hello")
    violation = refusal(stream, tenant.campaign)
    assert (violation.code, violation.field, str(violation.message)) == ("validation_error", "file", "import_not_xlsx")


def test_a_zip_bomb_is_refused_from_its_declared_sizes_before_any_cell_is_read(dbsession, monkeypatch):
    tenant = Tenant(dbsession)
    stream = xlsx(HEADER, *lines(tenant, 1))
    bomb = BytesIO(stream.getvalue())
    with zipfile.ZipFile(bomb, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", b"\0" * 3_000_000)  # 3 MB that deflate to 3 KB
    assert len(bomb.getvalue()) < 20_000

    def never(*args, **kw):
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr(imports, "load_workbook", never)
    violation = refusal(bomb, tenant.campaign, max_unzipped_bytes=2 * 1024 * 1024)
    assert (violation.code, violation.status, violation.field) == ("payload_too_large", 413, "file")
    assert violation.message.mapping == {"megabytes": 2}


def test_the_same_file_under_the_limit_is_read(dbsession):
    tenant = Tenant(dbsession)
    rows, numbers = rows_from_xlsx(xlsx(HEADER, *lines(tenant, 2)), tenant.campaign, max_unzipped_bytes=1024 * 1024)
    assert numbers == [2, 3]


def test_more_rows_than_the_limit_are_refused(dbsession):
    tenant = Tenant(dbsession)
    violation = refusal(xlsx(HEADER, *lines(tenant, 3)), tenant.campaign, max_rows=2)
    assert (violation.code, violation.field, violation.message.mapping) == ("validation_error", "rows", {"count": 2})
    with pytest.raises(RuleViolation) as refused:
        validated_rows([row(tenant, "2026-10-05T10:00:00+02:00")] * 3, max_rows=2)
    assert refused.value.field == "rows"


def test_a_sheet_declaring_sixteen_thousand_columns_is_read_by_its_cells(dbsession):
    """A dimension of A1:XFD1048576 would pad every row to 16,384 cells."""
    tenant = Tenant(dbsession)
    stream = xlsx(HEADER, *lines(tenant, 1))
    patched = BytesIO()
    with zipfile.ZipFile(stream) as source, zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[A-Z0-9:]+"/>', b'<dimension ref="A1:XFD1048576"/>', data)
                assert b"XFD1048576" in data
            target.writestr(member, data)
    header = next(imports.open_sheet(patched).iter_rows(values_only=True))
    assert len(header) == len(HEADER)
    rows, numbers = rows_from_xlsx(patched, tenant.campaign)
    assert numbers == [2]


def test_the_limits_come_from_the_ini():
    assert import_limits({"portal.import_max_rows": "10", "portal.import_max_unzipped_bytes": "2048"}) == (10, 2048)
    assert import_limits({}) == (imports.MAX_ROWS, imports.MAX_UNZIPPED_BYTES)
