"""/clients/{client}/appointments/{number}/, booking under a campaign, and /callcenter/."""
from pyramid.authorization import Allow
from sqlalchemy import select

from campaigns.resources import CampaignFolder, ClientFolder
from callcenter.models import Appointment
from portal import permissions as P
from portal.resources import Resource, Root


class AppointmentContainer(Resource):
    """All appointments of a client, found by their per-client number."""

    def __getitem__(self, number):
        if not (number.isascii() and number.isdigit() and len(number) <= 9):  # else no INTEGER: a 500
            raise KeyError(number)
        appointment = self.dbsession.execute(
            select(Appointment).where(
                Appointment.client_id == self.__parent__.client.id, Appointment.number == int(number)
            )
        ).scalar_one_or_none()
        if appointment is None:
            raise KeyError(number)
        return AppointmentResource(self.request, number, self, appointment)


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


class CampaignAppointments(Resource):
    """POST here books into the campaign (permission ``book``)."""


class CallCenter(Resource):
    """The operators' workspace."""

    __acl__ = [
        (Allow, "role:operator", P.BOOK),
        (Allow, "role:account_manager", P.BOOK),
    ]


def includeme(config):
    config.add_resource_child(ClientFolder, "appointments", AppointmentContainer)
    config.add_resource_child(CampaignFolder, "appointments", CampaignAppointments)
    config.add_resource_child(Root, "callcenter", CallCenter)
