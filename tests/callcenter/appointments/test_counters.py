"""The zone and agent folders' counters, kept by every service that creates an appointment or changes
its state or agent (worked examples, on both databases); the parallel bookings are in
tests/concurrency/test_folder_counter_races.py."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from callcenter.appointments.counters import folder_counts
from callcenter.appointments.models import ACTIVE_STATES, Appointment, FolderCounter
from callcenter.booking.services import book_appointment
from callcenter.demo import load_demo_data
from callcenter.imports.services import import_appointments
from callcenter.lifecycle import services as lifecycle
from tests.conftest import NOW
from tests.factories import Tenant, make_agent, make_zone

THURSDAY_10 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # 10:00 in Rome
PROSPECT = {"name": "Bar Centrale", "phone": "+39 02 1234567", "postal_code": "20121"}


@pytest.fixture
def tenant(dbsession):
    return Tenant(dbsession, purchased=10)


def book(dbsession, tenant, agent=None, start=THURSDAY_10, prospect=PROSPECT):
    return book_appointment(dbsession, campaign=tenant.campaign, agent=agent or tenant.agent, start=start,
                            prospect=prospect, booked_by=tenant.operator, now=NOW)


def boxes(dbsession, **scope):
    counts = folder_counts(dbsession, scope)
    return counts["taken"], counts["to_confirm"], counts["cancelled"]


def counted_from_rows(dbsession):
    """{(agent, zone key): (taken, to_confirm, cancelled)} counted from the appointments."""
    zone = func.coalesce(Appointment.zone_id, 0)
    rows = dbsession.execute(select(
        Appointment.agent_id, zone, func.count().filter(Appointment.state.in_(ACTIVE_STATES)),
        func.count().filter(Appointment.state == "to_confirm"), func.count().filter(Appointment.state == "cancelled"),
    ).group_by(Appointment.agent_id, zone)).all()
    return {(agent, zone): (taken, to_confirm, cancelled) for agent, zone, taken, to_confirm, cancelled in rows}


def kept(dbsession):
    dbsession.flush()
    rows = dbsession.execute(select(FolderCounter)).scalars().all()
    return {(row.agent_id, row.zone_id): (row.taken, row.to_confirm, row.cancelled) for row in rows
            if (row.taken, row.to_confirm, row.cancelled) != (0, 0, 0)}


def test_a_booking_counts_in_its_agent_and_zone_only(dbsession, tenant):
    book(dbsession, tenant)
    assert boxes(dbsession, zone_id=tenant.zone.id) == (1, 1, 0)
    assert boxes(dbsession, agent_id=tenant.agent.id) == (1, 1, 0)
    assert boxes(dbsession, zone_id=tenant.other_zone.id) == (0, 0, 0)
    assert boxes(dbsession, agent_id=tenant.other_agent.id) == (0, 0, 0)
    assert kept(dbsession) == counted_from_rows(dbsession)


def test_confirm_then_cancel_moves_the_boxes(dbsession, tenant):
    appointment = book(dbsession, tenant)
    book(dbsession, tenant, start=THURSDAY_10 + timedelta(hours=3))
    lifecycle.confirm(dbsession, appointment, actor=tenant.agent_user, now=NOW)
    assert boxes(dbsession, zone_id=tenant.zone.id) == (2, 1, 0)
    request = lifecycle.request_cancellation(dbsession, appointment, reason="wrong_target", notes="",
                                             actor=tenant.client_user, now=NOW)
    assert boxes(dbsession, agent_id=tenant.agent.id) == (2, 1, 0)  # only an approved request counts (rule 5)
    lifecycle.decide_cancellation(dbsession, request, appointment, approve=True, notes="",
                                  actor=tenant.account_manager, now=NOW)
    assert boxes(dbsession, zone_id=tenant.zone.id) == (1, 1, 1)
    assert boxes(dbsession, agent_id=tenant.agent.id) == (1, 1, 1)
    assert kept(dbsession) == counted_from_rows(dbsession)


def test_a_rejected_cancellation_and_a_disowning_change_no_box(dbsession, tenant):
    appointment = book(dbsession, tenant)
    request = lifecycle.disown(dbsession, appointment, actor=tenant.operator, now=NOW)
    lifecycle.decide_cancellation(dbsession, request, appointment, approve=False, notes="",
                                  actor=tenant.account_manager, now=NOW)
    assert boxes(dbsession, agent_id=tenant.agent.id) == (1, 1, 0)


def test_rescheduling_to_another_agent_moves_the_appointment_between_agents_not_zones(dbsession, tenant):
    colleague = make_agent(dbsession, tenant.client, zones=[tenant.zone])
    appointment = book(dbsession, tenant)
    lifecycle.confirm(dbsession, appointment, actor=tenant.agent_user, now=NOW)
    lifecycle.postpone(dbsession, appointment, start=THURSDAY_10 + timedelta(days=1), agent=colleague,
                       actor=tenant.operator, now=NOW)
    assert boxes(dbsession, agent_id=tenant.agent.id) == (0, 0, 0)
    assert boxes(dbsession, agent_id=colleague.id) == (1, 0, 0)
    assert boxes(dbsession, zone_id=tenant.zone.id) == (1, 0, 0)
    lifecycle.postpone(dbsession, appointment, start=THURSDAY_10 + timedelta(days=4), actor=tenant.operator, now=NOW)
    assert boxes(dbsession, agent_id=colleague.id) == (1, 0, 0)  # a new time for the same agent: nothing moves
    assert kept(dbsession) == counted_from_rows(dbsession)


def test_an_agent_of_two_zones_counts_in_each_and_a_zone_manager_sees_the_zones_he_manages(dbsession, tenant):
    both = make_agent(dbsession, tenant.client, zones=[tenant.zone, tenant.other_zone])
    book(dbsession, tenant, agent=both)
    book(dbsession, tenant, agent=both, start=THURSDAY_10 + timedelta(hours=3),
         prospect=dict(PROSPECT, postal_code="10121"))
    assert boxes(dbsession, agent_id=both.id) == (2, 2, 0)
    assert boxes(dbsession, zone_id=tenant.zone.id) == (1, 1, 0)
    assert boxes(dbsession, zone_id=tenant.other_zone.id) == (1, 1, 0)
    assert boxes(dbsession, agent_id=both.id, zone_id=[tenant.other_zone.id]) == (1, 1, 0)
    assert boxes(dbsession, agent_id=both.id, zone_id=[]) == (0, 0, 0)


def test_imported_history_counts_every_state_and_an_agent_without_zone(dbsession, tenant):
    loner = make_agent(dbsession, tenant.client)  # no zone: the import keeps the appointment zoneless
    rows = [{"agent": agent.slug, "start": datetime(2026, 10, day, 9, 0, tzinfo=UTC), "state": state,
             "prospect": dict(PROSPECT), "notes": "", "fields": {}}
            for agent, day, state in ((tenant.agent, 5, "confirmed"), (tenant.agent, 6, "to_confirm"),
                                      (tenant.agent, 7, "cancelled"), (loner, 5, "confirmed"))]
    import_appointments(dbsession, campaign=tenant.campaign, rows=rows, imported_by=tenant.account_manager, now=NOW)
    assert boxes(dbsession, zone_id=tenant.zone.id) == (2, 1, 1)
    assert boxes(dbsession, agent_id=tenant.agent.id) == (2, 1, 1)
    assert boxes(dbsession, agent_id=loner.id) == (1, 0, 0)
    assert kept(dbsession) == counted_from_rows(dbsession)


def test_the_demo_counts_its_folders_as_the_services_would(dbsession):
    assert load_demo_data(dbsession, now=NOW)
    counted = counted_from_rows(dbsession)
    assert kept(dbsession) == counted
    assert sum(taken for taken, _, _ in counted.values()) == 189


def test_a_zone_without_appointments_has_empty_boxes(dbsession, tenant):
    zone = make_zone(dbsession, tenant.client)
    assert boxes(dbsession, zone_id=zone.id) == (0, 0, 0)
