"""The filters of the reports and exports: those of "Tutti gli appuntamenti", with sensible dates."""
from datetime import date

import colander

from callcenter.appointments.models import APPOINTMENT_STATES
from portal.errors import RuleViolation
from portal.i18n import _

# A report's dates: anything outside is a typing mistake (02026, 1026), not a wish.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
# By-month tables of at most ten years: longer is a mistake, and costs a long table.
MAX_RANGE_DAYS = 3660


class ReportQuery(colander.MappingSchema):
    """Query string of the "Totale Appuntamenti" report, the statistics and the Excel export."""

    state = colander.SchemaNode(colander.String(), validator=colander.OneOf(APPOINTMENT_STATES), missing=None)
    date_from = colander.SchemaNode(colander.Date(), name="from", missing=None)
    date_to = colander.SchemaNode(colander.Date(), name="to", missing=None)
    agent = colander.SchemaNode(colander.String(), validator=colander.Length(max=60), missing=None)
    zone = colander.SchemaNode(colander.String(), validator=colander.Length(max=60), missing=None)
    campaign = colander.SchemaNode(colander.String(), validator=colander.Length(max=60), missing=None)
    q = colander.SchemaNode(colander.String(), validator=colander.Length(max=100), missing=None)


def check_range(date_from, date_to):
    """Refuse reversed or absurd date ranges (``validation_error`` naming the date at fault)."""
    for name, value in (("from", date_from), ("to", date_to)):
        if value is not None and value < FIRST_DAY:
            raise RuleViolation("validation_error", _("date_too_early", default="Choose a date from 2000 on."), name)
        if value is not None and value > LAST_DAY:
            raise RuleViolation("validation_error", _("date_too_late", default="Choose a date before 2100."), name)
    if date_from and date_to:
        if date_to < date_from:
            raise RuleViolation("validation_error",
                                _("dates_reversed", default="The end date is before the start date."), "to")
        if (date_to - date_from).days > MAX_RANGE_DAYS:
            raise RuleViolation("validation_error",
                                _("range_too_long", default="Choose a range of at most ten years."), "to")
