"""The "Totale Appuntamenti" report and the statistics, against the hand-counted folder of
report_fixtures.py (cancelled and recovered appointments, Europe/Rome month boundaries)."""
from datetime import date

import pytest

from callcenter.reports.services import statistics, totals
from callcenter.appointments.services import AppointmentFilters
from tests.callcenter.reports.fixtures import Folder


@pytest.fixture
def folder(dbsession):
    return Folder(dbsession)


def counts(row):
    return (row["to_confirm"], row["confirmed"], row["cancelled"], row["taken"], row["total"])


def test_client_totals_by_state_with_cancelled_and_recovered(dbsession, folder):
    report = totals(dbsession, {"client_id": folder.tenant.client.id}, AppointmentFilters())
    assert counts(report) == (3, 2, 2, 5, 7)
    assert (report["recovered"], report["recoveries_owed"]) == (1, 1)


def test_months_are_those_of_rome_across_midnight_and_summer_time(dbsession, folder):
    report = totals(dbsession, {"client_id": folder.tenant.client.id}, AppointmentFilters())
    assert [(row["month"], counts(row)) for row in report["by_month"]] == [
        ("2026-11", (1, 1, 0, 2, 2)),
        ("2026-12", (1, 1, 2, 2, 4)),  # #3 is 23:30 UTC on 30 November
        ("2027-04", (1, 0, 0, 1, 1)),  # #6 is 22:30 UTC on 31 March, in summer time
    ]


def test_by_agent_and_by_zone(dbsession, folder):
    tenant = folder.tenant
    report = totals(dbsession, {"client_id": tenant.client.id}, AppointmentFilters())
    assert {row["agent"]: counts(row) for row in report["by_agent"]} == {
        tenant.agent.slug: (2, 2, 0, 4, 4), tenant.other_agent.slug: (1, 0, 2, 1, 3)}
    assert {row["zone"]: counts(row) for row in report["by_zone"]} == {
        tenant.zone.slug: (2, 2, 0, 4, 4), tenant.other_zone.slug: (1, 0, 2, 1, 3)}


def test_a_zone_folder_counts_only_its_zone_and_has_no_zone_table(dbsession, folder):
    tenant = folder.tenant
    report = totals(dbsession, {"zone_id": tenant.other_zone.id}, AppointmentFilters())
    assert counts(report) == (1, 0, 2, 1, 3)
    assert (report["recovered"], report["recoveries_owed"]) == (1, 1)
    assert report["by_zone"] == [] and [row["agent"] for row in report["by_agent"]] == [tenant.other_agent.slug]


def test_an_agent_folder_and_a_campaign_folder(dbsession, folder):
    tenant = folder.tenant
    agent = totals(dbsession, {"agent_id": tenant.agent.id}, AppointmentFilters())
    assert counts(agent) == (2, 2, 0, 4, 4) and agent["by_agent"] == []
    assert (agent["recovered"], agent["recoveries_owed"]) == (0, 0)
    campaign = totals(dbsession, {"campaign_id": tenant.campaign.id}, AppointmentFilters())
    assert counts(campaign) == (3, 2, 2, 5, 7)


def test_the_date_range_is_of_days_in_rome(dbsession, folder):
    scope = {"client_id": folder.tenant.client.id}
    december = totals(dbsession, scope, AppointmentFilters(date_from=date(2026, 12, 1), date_to=date(2026, 12, 31)))
    assert counts(december) == (1, 1, 2, 2, 4)
    assert [row["month"] for row in december["by_month"]] == ["2026-12"]
    november = totals(dbsession, scope, AppointmentFilters(date_to=date(2026, 11, 30)))
    assert counts(november) == (1, 1, 0, 2, 2)  # not #3, 30 November 23:30 UTC


def test_other_filters_narrow_the_totals_like_the_list(dbsession, folder):
    scope = {"client_id": folder.tenant.client.id}
    assert counts(totals(dbsession, scope, AppointmentFilters(state="cancelled"))) == (0, 0, 2, 0, 2)
    assert counts(totals(dbsession, scope, AppointmentFilters(agent=folder.tenant.agent.slug)))[-1] == 4


def test_an_empty_folder_has_zeros_and_no_months(dbsession, folder):
    report = totals(dbsession, {"client_id": folder.tenant.client.id},
                    AppointmentFilters(date_from=date(2030, 1, 1)))
    assert counts(report) == (0, 0, 0, 0, 0) and report["by_month"] == []


def test_statistics_overall(dbsession, folder):
    overall = statistics(dbsession, {"client_id": folder.tenant.client.id}, AppointmentFilters())["overall"]
    assert (overall["booked"], overall["confirmed"], overall["cancelled"], overall["held"], overall["no_show"]) \
        == (7, 2, 2, 1, 1)
    assert (overall["confirmation_rate"], overall["cancellation_rate"], overall["no_show_rate"]) == (
        0.4, 0.2857, 0.5)


def test_statistics_per_agent_and_zone(dbsession, folder):
    tenant = folder.tenant
    result = statistics(dbsession, {"client_id": tenant.client.id}, AppointmentFilters())
    agents = {row["agent"]: row for row in result["by_agent"]}
    a, b = agents[tenant.agent.slug], agents[tenant.other_agent.slug]
    assert (a["booked"], a["held"], a["no_show"], a["confirmation_rate"], a["no_show_rate"]) == (4, 1, 1, 0.5, 0.5)
    assert (b["booked"], b["cancelled"], b["confirmation_rate"], b["cancellation_rate"], b["no_show_rate"]) == (
        3, 2, 0.0, 0.6667, None)
    zones = {row["zone"]: row["booked"] for row in result["by_zone"]}
    assert zones == {tenant.zone.slug: 4, tenant.other_zone.slug: 3}
    assert "by_operator" not in result


def test_statistics_per_operator_count_bookings_and_their_cancellations(dbsession, folder):
    result = statistics(dbsession, {"client_id": folder.tenant.client.id}, AppointmentFilters(), per_operator=True)
    operators = {row["operator"]: (row["bookings"], row["cancellations"], row["cancellation_rate"])
                 for row in result["by_operator"]}
    assert operators == {folder.tenant.operator.email: (6, 1, 0.1667),
                         folder.second_operator.email: (1, 1, 1.0)}


def test_statistics_of_a_date_range(dbsession, folder):
    result = statistics(dbsession, {"client_id": folder.tenant.client.id},
                        AppointmentFilters(date_from=date(2026, 12, 1), date_to=date(2026, 12, 31)))
    assert (result["overall"]["booked"], result["overall"]["cancelled"], result["overall"]["no_show"]) == (4, 2, 1)
