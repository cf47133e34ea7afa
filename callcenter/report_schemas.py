"""The filters of the reports and exports: those of "Tutti gli appuntamenti", bounded dates."""
from datetime import date

import colander

from callcenter.models import APPOINTMENT_STATES
from portal.i18n import _

# A report's dates: anything outside is a typing mistake (02026, 1026), not a wish.
REPORT_CALENDAR = colander.Range(
    min=date(2000, 1, 1), max=date(2099, 12, 31),
    min_err=_("date_too_early", default="Choose a date from 2000 on."),
    max_err=_("date_too_late", default="Choose a date before 2100."),
)
# By-month tables of at most ten years: longer is a mistake, and costs a long table.
MAX_RANGE_DAYS = 3660


def _sensible_range(node, value):
    if value["from"] and value["to"]:
        if value["to"] < value["from"]:
            raise colander.Invalid(node["to"], _("dates_reversed", default="The end date is before the start date."))
        if (value["to"] - value["from"]).days > MAX_RANGE_DAYS:
            raise colander.Invalid(node["to"], _("range_too_long", default="Choose a range of at most ten years."))


class ReportQuery(colander.MappingSchema):
    """Query string of the "Totale Appuntamenti" report, the statistics and the Excel export."""

    state = colander.SchemaNode(colander.String(), validator=colander.OneOf(APPOINTMENT_STATES), missing=None)
    date_from = colander.SchemaNode(colander.Date(), name="from", validator=REPORT_CALENDAR, missing=None)
    date_to = colander.SchemaNode(colander.Date(), name="to", validator=REPORT_CALENDAR, missing=None)
    agent = colander.SchemaNode(colander.String(), validator=colander.Length(max=60), missing=None)
    zone = colander.SchemaNode(colander.String(), validator=colander.Length(max=60), missing=None)
    campaign = colander.SchemaNode(colander.String(), validator=colander.Length(max=60), missing=None)
    q = colander.SchemaNode(colander.String(), validator=colander.Length(max=100), missing=None)

    def validator(self, node, value):
        _sensible_range(node, value)
