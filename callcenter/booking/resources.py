"""/clients/{client}/campaigns/{campaign}/holds/{id}: the operators' holds (rule 10)."""
from pyramid.authorization import Allow
from sqlalchemy import select

from campaigns.resources import CampaignFolder
from callcenter.booking.models import Hold
from portal import permissions as P
from portal.resources import Resource, number_or_key_error


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


def includeme(config):
    config.add_resource_child(CampaignFolder, "holds", HoldContainer)
