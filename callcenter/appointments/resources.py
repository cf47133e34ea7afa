"""/clients/{client}/appointments/{number}/, booking under a campaign, and /callcenter/."""
from pyramid.authorization import Allow
from sqlalchemy import select

from campaigns.resources import CampaignFolder, ClientFolder
from callcenter.appointments.models import Appointment
from portal import permissions as P
from portal.resources import Resource, Root, number_or_key_error


class AppointmentContainer(Resource):
    """All appointments of a client, found by their per-client number."""

    def __getitem__(self, name):
        number = number_or_key_error(name)
        appointment = self.dbsession.execute(
            select(Appointment).where(
                Appointment.client_id == self.__parent__.client.id, Appointment.number == number
            )
        ).scalar_one_or_none()
        if appointment is None:
            raise KeyError(name)
        return AppointmentResource(self.request, name, self, appointment)


class AppointmentResource(Resource):
    """An appointment is also visible to its agent and to the managers of its zone."""

    def __init__(self, request, name, parent, appointment):
        super().__init__(request, name, parent)
        self.appointment = appointment

    @property
    def __acl__(self):
        acl = [(Allow, f"agent:{self.appointment.agent_id}", P.AGENT)]
        if self.appointment.zone_id is not None:
            acl.append((Allow, f"zone:{self.appointment.zone_id}", P.ZONE_MANAGER))
        return acl


class CancellationRequestResource(Resource):
    """/appointments/{n}/cancellation-request: POST asks, approve/reject decide (rule 5)."""

    @property
    def appointment(self):
        return self.__parent__.appointment


class CampaignAppointments(Resource):
    """POST here books into the campaign (permission ``book``)."""


class CallCenter(Resource):
    """The operators' workspace."""

    __acl__ = [
        (Allow, "role:operator", (P.BOOK, P.CONFIRMATION_CALL)),
        (Allow, "role:account_manager", (P.BOOK, P.CONFIRMATION_CALL)),
    ]


def includeme(config):
    config.add_resource_child(ClientFolder, "appointments", AppointmentContainer)
    config.add_resource_child(CampaignFolder, "appointments", CampaignAppointments)
    config.add_resource_child(AppointmentResource, "cancellation-request", CancellationRequestResource)
    config.add_resource_child(Root, "callcenter", CallCenter)
