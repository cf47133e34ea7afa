"""Small POST forms on pages: built, validated and refused the same way everywhere.

A refusal re-renders the page with the message next to the field and writes nothing; a success
flashes and redirects back.
"""
from datetime import datetime

import deform

from callcenter.appointments.rules import local_to_utc
from portal.errors import RuleViolation
from portal.forms import set_field_error
from portal.i18n import _
from portal.api.plumbing import refuse_nul_characters
from portal.forms import validate


def local_time_widget():
    return deform.widget.TextInputWidget(attributes={"type": "datetime-local"})


def action_form(request, schema, formid, action, buttons, counter, **kw):
    """A deform form of the page; several on one page share a counter so their field ids differ."""
    buttons = [deform.Button(name, title=title, css_class=css_class) for name, title, css_class in buttons]
    return deform.Form(schema.bind(request=request, **kw), formid=formid, action=action, buttons=buttons,
                       counter=counter, focus="off")


def local_moment(text, tz, field):
    """A datetime-local input as UTC; a time the clocks skip is refused (rule §5: client time, DST-safe)."""
    try:
        return local_to_utc(parse_local(text), tz)
    except RuleViolation as violation:
        raise RuleViolation(violation.code, violation.message, field)


def message_of(request, violation):
    return request.localizer.translate(violation.message)


def flash(request, message):
    # The session stores plain strings: translate now, or the next page shows the msgid.
    request.session.flash(request.localizer.translate(message), "success")


def refused(request, form, violation):
    """Put a service's refusal on its form and answer with its status."""
    set_field_error(form, violation.field, message_of(request, violation))
    request.response.status_int = violation.status


def attempt(request, perform):
    """Run ``perform`` so that a refusal writes nothing: (result, None) or (None, violation)."""
    savepoint = request.dbsession.begin_nested()
    try:
        result = perform()
    except RuleViolation as violation:
        savepoint.rollback()
        request.tm.doom()
        return None, violation
    savepoint.commit()
    return result, None


def validate_form(form, request):
    """The form's appstruct, or None with the errors on the form (NUL characters included:
    PostgreSQL text cannot hold them, so they are bad input, not a server error)."""
    try:
        refuse_nul_characters(dict(request.POST.items()))
    except RuleViolation as violation:
        validate(form, request)
        set_field_error(form, violation.field, message_of(request, violation))
        return None
    return validate(form, request)


def parse_local(text):
    """A wall-clock time from a datetime-local input (no offset: it is the client's time)."""
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        naive = None
    if naive is None or naive.tzinfo is not None or not 1 < naive.year < 9999:
        raise RuleViolation("validation_error", _("bad_local_datetime", default="Not a valid date and time."), "start")
    return naive
