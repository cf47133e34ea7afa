"""/clients/{client}/appointments/{number}/, booking under a campaign, and /callcenter/."""
from pyramid.authorization import Allow
from sqlalchemy import select

from campaigns.resources import CampaignFolder, ClientFolder
from callcenter.models import Appointment, Export, Hold
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


class HoldContainer(Resource):
    """POST here holds a slot (permission ``book``); each hold is found by its id."""

    def __getitem__(self, hold_id):
        hold = self.dbsession.execute(
            select(Hold).where(Hold.id == number_or_key_error(hold_id), Hold.campaign_id == self.__parent__.campaign.id)
        ).scalar_one_or_none()
        if hold is None:
            raise KeyError(hold_id)
        return HoldResource(self.request, hold_id, self, hold)


class HoldResource(Resource):
    """Only the operator who holds a slot may let it go."""

    def __init__(self, request, name, parent, hold):
        super().__init__(request, name, parent)
        self.hold = hold

    @property
    def __acl__(self):
        return [(Allow, f"user:{self.hold.operator_id}", P.RELEASE)]


class ExportContainer(Resource):
    """/clients/{client}/exports/{id}: the Excel exports asked for in the client's folders."""

    def __getitem__(self, export_id):
        export = self.dbsession.execute(
            select(Export).where(Export.id == number_or_key_error(export_id),
                                 Export.client_id == self.__parent__.client.id)
        ).scalar_one_or_none()
        if export is None:
            raise KeyError(export_id)
        return ExportResource(self.request, export_id, self, export)


class ExportResource(Resource):
    """Only the user who asked may follow and download an export (and admins, from the root)."""

    def __init__(self, request, name, parent, export):
        super().__init__(request, name, parent)
        self.export = export

    @property
    def __acl__(self):
        return [(Allow, f"user:{self.export.owner_id}", P.DOWNLOAD_EXPORT)]


class CallCenter(Resource):
    """The operators' workspace."""

    __acl__ = [
        (Allow, "role:operator", (P.BOOK, P.CONFIRMATION_CALL)),
        (Allow, "role:account_manager", (P.BOOK, P.CONFIRMATION_CALL)),
    ]


def includeme(config):
    config.add_resource_child(ClientFolder, "appointments", AppointmentContainer)
    config.add_resource_child(CampaignFolder, "appointments", CampaignAppointments)
    config.add_resource_child(CampaignFolder, "holds", HoldContainer)
    config.add_resource_child(AppointmentResource, "cancellation-request", CancellationRequestResource)
    config.add_resource_child(Root, "callcenter", CallCenter)
    config.add_resource_child(ClientFolder, "exports", ExportContainer)
