"""API bodies of zones, agents and users (spec §9.1)."""
import colander
import deform

from campaigns.fields import StrictBoolean
from campaigns.schemas import ListOf, each_item
from portal.i18n import _
from portal.accounts.models import ROLES
from portal.accounts.passwords import MIN_PASSWORD_LENGTH
from portal.forms import CSRFSchema
from portal.api.schemas import DATE_RANGE, StrictInt, name_node, new_name_node, slug_node


# The column holds 254 characters: a longer address must be a 400, not a database error.
email_validator = colander.All(colander.Email(), colander.Length(max=254))


def email_or_empty(node, value):
    """An agent may have no e-mail: an empty one clears it."""
    if value:
        email_validator(node, value)


class Strings(colander.SequenceSchema):
    item = colander.SchemaNode(colander.String(), validator=colander.Length(min=1, max=60))


class ZoneCreate(colander.MappingSchema):
    slug = slug_node()
    name = name_node()
    provinces = Strings(missing=())
    postal_codes = Strings(missing=())


class Interval(colander.MappingSchema):
    weekday = colander.SchemaNode(StrictInt(), validator=colander.Range(0, 6))
    start = colander.SchemaNode(colander.Time())
    end = colander.SchemaNode(colander.Time())


class Schedule(colander.SequenceSchema):
    interval = Interval()


class AgentCreate(colander.MappingSchema):
    slug = slug_node()
    name = name_node()
    email = colander.SchemaNode(colander.String(), validator=email_validator, missing="")
    phone = colander.SchemaNode(colander.String(), validator=colander.Length(max=40), missing="")
    zones = Strings(missing=())
    schedule = Schedule(missing=())


class AgentUpdate(colander.MappingSchema):
    """PATCH of an agent: only what is sent changes; the slug stays."""

    name = new_name_node()
    email = colander.SchemaNode(colander.String(allow_empty=True), validator=email_or_empty, missing=colander.drop)
    phone = colander.SchemaNode(colander.String(allow_empty=True), validator=colander.Length(max=40),
                                missing=colander.drop)
    zones = Strings(missing=colander.drop)


class UserCreate(colander.MappingSchema):
    email = colander.SchemaNode(colander.String(), validator=email_validator)
    password = colander.SchemaNode(
        colander.String(),
        validator=colander.Length(min=MIN_PASSWORD_LENGTH, min_err=_("password_too_short", default="At least ${min} characters.")),
    )
    role = colander.SchemaNode(colander.String(), validator=colander.OneOf(ROLES))
    name = colander.SchemaNode(colander.String(), validator=colander.Length(max=200), missing="")
    client = colander.SchemaNode(colander.String(), missing=None)
    zones = Strings(missing=())
    agent = colander.SchemaNode(colander.String(), missing=None)
    # Operators only: rule 9's exceptional bookings outside the agents' schedules.
    may_book_out_of_schedule = colander.SchemaNode(StrictBoolean(), missing=False)


class ScheduleReplace(colander.MappingSchema):
    schedule = Schedule()


def _exception_times(node, value):
    if value["kind"] == "opening" and (value["start"] is None or value["end"] is None):
        raise colander.Invalid(node["start"], _("opening_needs_times", default="An opening needs its start and end."))
    if (value["start"] is None) != (value["end"] is None):
        raise colander.Invalid(node["end"], _("both_times_or_none", default="Give both times, or neither."))
    if value["start"] is not None and value["end"] <= value["start"]:
        raise colander.Invalid(node["end"], _("schedule_end_before_start",
                                              default="A schedule interval must end after it starts."))


class ExceptionCreate(colander.MappingSchema):
    """A dated opening, or a closure of a whole day (no times) or of part of it."""

    day = colander.SchemaNode(colander.Date(), validator=DATE_RANGE)
    kind = colander.SchemaNode(colander.String(), validator=colander.OneOf(("opening", "closure")))
    start = colander.SchemaNode(colander.Time(), missing=None)
    end = colander.SchemaNode(colander.Time(), missing=None)
    reason = colander.SchemaNode(colander.String(), validator=colander.Length(max=200), missing="")

    def validator(self, node, value):
        _exception_times(node, value)


class ClosedDayCreate(colander.MappingSchema):
    day = colander.SchemaNode(colander.Date(), validator=DATE_RANGE)
    zone = colander.SchemaNode(colander.String(), missing=None)
    agent = colander.SchemaNode(colander.String(), missing=None)
    reason = colander.SchemaNode(colander.String(), validator=colander.Length(max=200), missing="")


# --- Browser forms of the schedule pages -------------------------------------------------------------


class ExceptionForm(CSRFSchema):
    """A dated opening or closure, typed in the agent's schedule page."""

    day = colander.SchemaNode(colander.Date(), validator=DATE_RANGE, title=_("Day"),
                              widget=deform.widget.TextInputWidget(attributes={"type": "date"}))
    kind = colander.SchemaNode(
        colander.String(), title=_("Kind"), validator=colander.OneOf(("opening", "closure")),
        widget=deform.widget.RadioChoiceWidget(
            values=(("closure", _("Closure")), ("opening", _("Extra opening"))), inline=True),
    )
    start = colander.SchemaNode(colander.Time(), title=_("From"), missing=None,
                                description=_("exception_times_help",
                                              default="Leave both times empty to close the whole day."),
                                widget=deform.widget.TextInputWidget(attributes={"type": "time", "step": "1800"}))
    end = colander.SchemaNode(colander.Time(), title=_("To"), missing=None,
                              widget=deform.widget.TextInputWidget(attributes={"type": "time", "step": "1800"}))
    reason = colander.SchemaNode(colander.String(), title=_("Reason"), validator=colander.Length(max=200),
                                 missing="")

    def validator(self, node, value):
        try:
            _exception_times(node, value)
        except colander.Invalid as invalid:  # a child's error, so the form shows it beside that field
            error = colander.Invalid(node)
            error[invalid.node.name] = invalid.msg
            raise error


@colander.deferred
def deferred_scope_widget(node, kw):
    zones = deform.widget.OptGroup(_("Zone"), *[(f"zone:{zone.slug}", zone.name) for zone in kw["zones"]])
    agents = deform.widget.OptGroup(_("Agent"), *[(f"agent:{agent.slug}", agent.name) for agent in kw["agents"]])
    return deform.widget.SelectWidget(values=[("client", _("The whole client")), zones, agents])


@colander.deferred
def deferred_scope_validator(node, kw):
    return colander.OneOf(["client"] + [f"zone:{zone.slug}" for zone in kw["zones"]]
                          + [f"agent:{agent.slug}" for agent in kw["agents"]])


class ClosedDayForm(CSRFSchema):
    """An extra closed day (beyond public holidays) for the client, one zone or one agent."""

    day = colander.SchemaNode(colander.Date(), validator=DATE_RANGE, title=_("Day"),
                              widget=deform.widget.TextInputWidget(attributes={"type": "date"}))
    scope = colander.SchemaNode(colander.String(), title=_("Closed for"), widget=deferred_scope_widget,
                                validator=deferred_scope_validator, default="client")
    reason = colander.SchemaNode(colander.String(), title=_("Reason"), validator=colander.Length(max=200),
                                 missing="")


# --- Browser forms of the management pages (spec §6: zones, agents, users) ------------------------------

place_list = each_item(colander.Length(min=1, max=60))


class ZoneEditForm(CSRFSchema):
    name = name_node(title=_("Name"))
    provinces = colander.SchemaNode(ListOf(",\n"), title=_("Provinces"), missing=[], validator=place_list,
                                    description=_("provinces_help", default="Abbreviations separated by commas, e.g. MI, MB."),
                                    widget=deform.widget.TextAreaWidget(rows=2))
    postal_codes = colander.SchemaNode(
        ListOf(",\n"), title=_("Postal codes"), missing=[], validator=place_list,
        description=_("postal_codes_help", default="Whole codes or their beginnings (201 covers 20121), separated by commas or lines."),
        widget=deform.widget.TextAreaWidget(rows=3))


class ZoneForm(ZoneEditForm):
    slug = slug_node(title=_("Short name in addresses"), insert_before="name",
                     description=_("slug_help", default="Lower-case letters, digits and dashes; it cannot change."))


@colander.deferred
def deferred_zones_widget(node, kw):
    return deform.widget.CheckboxChoiceWidget(values=[(zone.slug, zone.name) for zone in kw["zones"]], inline=True)


@colander.deferred
def deferred_zones_validator(node, kw):
    slugs = {zone.slug for zone in kw["zones"]}

    def validate(node, value):
        if not set(value) <= slugs:
            raise colander.Invalid(node, _("unknown_zone", default="Unknown zone: ${zones}.",
                                           mapping={"zones": ", ".join(sorted(set(value) - slugs))}))
    return validate


def zones_node(**kw):
    return colander.SchemaNode(colander.Set(), title=_("Zones"), missing=(), widget=deferred_zones_widget,
                               validator=deferred_zones_validator, **kw)


class AgentEditForm(CSRFSchema):
    name = name_node(title=_("Name"))
    email = colander.SchemaNode(colander.String(), title=_("E-mail"), validator=email_validator, missing="",
                                widget=deform.widget.TextInputWidget(attributes={"type": "email"}))
    phone = colander.SchemaNode(colander.String(), title=_("Phone"), validator=colander.Length(max=40), missing="")
    zones = zones_node()


class AgentForm(AgentEditForm):
    slug = slug_node(title=_("Short name in addresses"), insert_before="name",
                     description=_("slug_help", default="Lower-case letters, digits and dashes; it cannot change."))


@colander.deferred
def deferred_agent_widget(node, kw):
    return deform.widget.SelectWidget(values=[("", "—")] + [(agent.slug, agent.name) for agent in kw["agents"]])


@colander.deferred
def deferred_agent_validator(node, kw):
    return colander.OneOf([agent.slug for agent in kw["agents"]])


def password_node():
    return colander.SchemaNode(
        colander.String(), title=_("Password"),
        validator=colander.Length(min=MIN_PASSWORD_LENGTH,
                                  min_err=_("password_too_short", default="At least ${min} characters.")),
        description=_("new_user_password_help", default="Give it to the user, who can change it after logging in."),
        widget=deform.widget.PasswordWidget(attributes={"autocomplete": "new-password"}))


CLIENT_ROLE_LABELS = (("client", _("Client user")), ("zone_manager", _("Zone manager")), ("agent", _("Agent")))
STAFF_ROLE_LABELS = (("operator", _("Operator")), ("account_manager", _("Account manager")), ("admin", _("Admin")))


class LoginForm(CSRFSchema):
    """What every new login has: its e-mail, a name and a first password."""

    email = colander.SchemaNode(colander.String(), title=_("E-mail"), validator=email_validator,
                                widget=deform.widget.TextInputWidget(attributes={"type": "email"}))
    name = colander.SchemaNode(colander.String(), title=_("Name"), validator=colander.Length(max=200), missing="")
    password = password_node()


class UserForm(LoginForm):
    """A login of the client: a client user, a zone manager (zones) or an agent (linked to the agent)."""

    role = colander.SchemaNode(colander.String(), title=_("Role"), default="client",
                               validator=colander.OneOf([role for role, _label in CLIENT_ROLE_LABELS]),
                               widget=deform.widget.SelectWidget(values=CLIENT_ROLE_LABELS))
    zones = zones_node(description=_("user_zones_help", default="Only for a zone manager: the zones he/she sees."))
    agent = colander.SchemaNode(colander.String(), title=_("Agent"), missing=None, widget=deferred_agent_widget,
                                validator=deferred_agent_validator,
                                description=_("user_agent_help", default="Only for an agent's login."))


class StaffForm(LoginForm):
    """Call-center staff, created by admins only."""

    role = colander.SchemaNode(colander.String(), title=_("Role"), default="operator",
                               validator=colander.OneOf([role for role, _label in STAFF_ROLE_LABELS]),
                               widget=deform.widget.SelectWidget(values=STAFF_ROLE_LABELS))
    may_book_out_of_schedule = colander.SchemaNode(
        colander.Boolean(), title=_("May book out of schedule"), missing=False,
        description=_("may_book_out_of_schedule_help",
                      default="Only for an operator: exceptional bookings outside the agents' schedules, recorded."),
        widget=deform.widget.CheckboxWidget())
