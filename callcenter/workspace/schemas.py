"""The query strings of the operators' lists: search, filters and pages (README "What it does", lists that pass a screen), pages and API alike."""
import colander

from callcenter.appointments.models import ACTIVE_STATES
from callcenter.booking.schemas import CALENDAR
from callcenter.workspace.services import CALL_STATES, WorklistFilters
from portal.i18n import _


def text_node(**kw):
    return colander.SchemaNode(colander.String(), validator=colander.Length(max=100), missing=None, **kw)


def short_name_node(**kw):
    return colander.SchemaNode(colander.String(), validator=colander.Length(max=100), missing=None, **kw)


def page_node(**kw):
    return colander.SchemaNode(colander.Int(), validator=colander.Range(1, 100_000), missing=None, **kw)


class ListQuery(colander.MappingSchema):
    """A searched list in pages: ``page`` past the last one is an empty page (API) or the last one (pages)."""

    q = text_node()
    page = page_node()
    per_page = colander.SchemaNode(colander.Int(), validator=colander.Range(1, 200), missing=None)


class WorkspaceQuery(ListQuery):
    """The campaigns open for booking."""

    client = short_name_node()


class WorklistQuery(ListQuery):
    client = short_name_node()
    campaign = short_name_node()
    agent = short_name_node()
    zone = short_name_node()


class DatedWorklistQuery(WorklistQuery):
    # "from" is a Python keyword, hence the explicit names.
    date_from = colander.SchemaNode(colander.Date(), name="from", validator=CALENDAR, missing=None)
    date_to = colander.SchemaNode(colander.Date(), name="to", validator=CALENDAR, missing=None)

    def validator(self, node, value):
        if value["from"] and value["to"] and value["to"] < value["from"]:
            raise colander.Invalid(node["to"], _("dates_reversed", default="The end date is before the start date."))


class ConfirmationsQuery(WorklistQuery):
    call = colander.SchemaNode(colander.String(), validator=colander.OneOf(CALL_STATES), missing=None)


class ConfirmationsPageQuery(ConfirmationsQuery):
    """The page also cuts the calls done today into pages of their own."""

    done_page = page_node()


class ReschedulingQuery(DatedWorklistQuery):
    state = colander.SchemaNode(colander.String(), validator=colander.OneOf(ACTIVE_STATES), missing=None)


class RecoveriesQuery(DatedWorklistQuery):
    pass


def worklist_filters(params):
    """The filters of a validated query string."""
    return WorklistFilters(text=(params.get("q") or "").strip() or None, client=params.get("client"),
                           campaign=params.get("campaign"), agent=params.get("agent"), zone=params.get("zone"),
                           date_from=params.get("from"), date_to=params.get("to"), state=params.get("state"),
                           call=params.get("call"))

