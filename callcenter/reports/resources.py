"""/clients/{client}/exports/{id}: the Excel exports asked for in the client's folders."""
from pyramid.authorization import Allow
from sqlalchemy import select

from campaigns.resources import ClientFolder
from callcenter.reports.models import Export
from portal import permissions as P
from portal.resources import Resource, number_or_key_error


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


def includeme(config):
    config.add_resource_child(ClientFolder, "exports", ExportContainer)
