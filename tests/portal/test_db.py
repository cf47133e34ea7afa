"""The database plumbing of portal.db: times always come back aware and in UTC, JSON columns as they went in."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text
from sqlalchemy.types import JSON

from portal.db import UTCDateTime


def scratch_table(connection):
    table = Table("scratch_times", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime()),
                  Column("data", JSON), prefixes=["TEMPORARY"])
    table.create(connection)
    return table


def test_a_time_comes_back_in_utc_whatever_zone_it_was_written_in(connection):
    table = scratch_table(connection)
    rome = datetime(2026, 3, 29, 3, 30, tzinfo=ZoneInfo("Europe/Rome"))  # the first hour of summer time
    connection.execute(insert(table), [{"id": 1, "at": rome}, {"id": 2, "at": None}])
    at, missing = connection.execute(select(table.c.at).order_by(table.c.id)).scalars().all()
    assert at == rome and at.tzinfo is timezone.utc and at.hour == 1
    assert missing is None


def test_postgresql_sessions_run_in_utc(connection, backend):
    if backend != "postgresql":
        return  # SQLite keeps naive UTC, made aware on the way out (the test above)
    assert connection.execute(text("SHOW TimeZone")).scalar_one() == "UTC"
    # A date cut in SQL is the UTC date, whatever the server's own default zone.
    late = datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc)
    assert str(connection.execute(text("SELECT CAST(:at AS timestamptz)::date"), {"at": late}).scalar_one()) \
        == "2026-12-31"


def test_a_time_read_in_another_session_zone_is_still_converted(connection, backend):
    if backend != "postgresql":
        return
    table = scratch_table(connection)
    moment = datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc)  # the night summer time ends in Rome
    connection.execute(insert(table), [{"id": 1, "at": moment}])
    connection.execute(text("SET LOCAL TimeZone = 'Europe/Rome'"))
    at = connection.execute(select(table.c.at)).scalar_one()
    assert at == moment and at.tzinfo is timezone.utc and at - moment == timedelta(0)


def test_json_columns_read_back_what_was_written(connection):
    table = scratch_table(connection)
    data = {"settore": "Ristorazione – bar", "coperti": 40, "note": None, "tag": ["a", "b"], "quota": 0.5}
    connection.execute(insert(table), [{"id": 1, "data": data}])
    assert connection.execute(select(table.c.data)).scalar_one() == data
