"""Every text a schema accepts fits the column it is stored in (README "Bad input").

SQLite stores a text of any length; PostgreSQL refuses one longer than its VARCHAR with a
DataError. The schemas must refuse it first, with the field named, on both databases: their
limits are read here from the SQLAlchemy columns and compared, so a column narrowed (or a
schema widened) without the other fails this test.
"""
from zoneinfo import available_timezones

import colander
import pytest
from sqlalchemy import String
from sqlalchemy.orm import configure_mappers

from agents import schemas as agent_schemas
from agents.models import Agent, ClosedDay, ScheduleException, Unavailability, Zone
from callcenter.appointments.models import Appointment
from callcenter.booking import schemas as callcenter_schemas
from callcenter.lifecycle import schemas as lifecycle_schemas
from campaigns import schemas as campaign_schemas
from campaigns.models import Campaign, CampaignField, Client, Step
from portal.accounts.models import User
from portal.api.schemas import timezone_validator

configure_mappers()

# (schema, model, prefix of the model's column names)
STORED_AS = [
    (campaign_schemas.ClientCreate, Client, ""), (campaign_schemas.ClientUpdate, Client, ""),
    (campaign_schemas.ClientForm, Client, ""), (campaign_schemas.ClientEditForm, Client, ""),
    (campaign_schemas.CampaignCreate, Campaign, ""), (campaign_schemas.CampaignSettings, Campaign, ""),
    (campaign_schemas.CampaignForm, Campaign, ""), (campaign_schemas.CampaignSettingsForm, Campaign, ""),
    (campaign_schemas.StepCreate, Step, ""), (campaign_schemas.StepUpdate, Step, ""),
    (campaign_schemas.StepForm, Step, ""),
    (campaign_schemas.FieldCreate, CampaignField, ""), (campaign_schemas.FieldForm, CampaignField, ""),
    (agent_schemas.ZoneCreate, Zone, ""), (agent_schemas.ZoneForm, Zone, ""), (agent_schemas.ZoneEditForm, Zone, ""),
    (agent_schemas.AgentCreate, Agent, ""), (agent_schemas.AgentUpdate, Agent, ""),
    (agent_schemas.AgentForm, Agent, ""), (agent_schemas.AgentEditForm, Agent, ""),
    (agent_schemas.UserCreate, User, ""), (agent_schemas.UserForm, User, ""), (agent_schemas.StaffForm, User, ""),
    (agent_schemas.ExceptionCreate, ScheduleException, ""), (agent_schemas.ExceptionForm, ScheduleException, ""),
    (agent_schemas.ClosedDayCreate, ClosedDay, ""), (agent_schemas.ClosedDayForm, ClosedDay, ""),
    (callcenter_schemas.Prospect, Appointment, "prospect_"), (callcenter_schemas.BookingForm, Appointment, ""),
    (callcenter_schemas.BookingCreate, Appointment, ""),
    (lifecycle_schemas.UnavailabilityCreate, Unavailability, ""),
]


def text_limits(validator):
    """The longest text ``validator`` lets through, or None when it does not bound the length."""
    if isinstance(validator, colander.All):
        bounds = [limit for limit in map(text_limits, validator.validators) if limit is not None]
        return min(bounds) if bounds else None
    if isinstance(validator, colander.Length):
        return validator.max
    if isinstance(validator, colander.OneOf):
        return max(len(choice) for choice in validator.choices)
    if validator is campaign_schemas.country_validator:
        return max(map(len, campaign_schemas.SUPPORTED_COUNTRIES))
    if validator is timezone_validator:
        return max(map(len, available_timezones()))
    if validator is agent_schemas.email_or_empty:
        return text_limits(agent_schemas.email_validator)
    return None


def stored_text_nodes():
    for schema, model, prefix in STORED_AS:
        columns = {column.name: column for column in model.__table__.columns}
        for node in schema().children:
            column = columns.get(prefix + node.name)
            if column is not None and isinstance(node.typ, colander.String) and isinstance(column.type, String) \
                    and column.type.length:
                yield pytest.param(node, column, id=f"{schema.__name__}.{node.name}")


@pytest.mark.parametrize("node, column", list(stored_text_nodes()))
def test_the_schema_refuses_a_text_longer_than_its_column(node, column):
    regex = next((validator for validator in getattr(node.validator, "validators", [node.validator])
                  if isinstance(validator, colander.Regex)), None)
    if regex is not None and text_limits(node.validator) is None:
        # A pattern bounds the length itself (slugs: 1 + {0,59}): the longest text it accepts fits.
        longest = "a" * column.type.length
        assert regex.match_object.match(longest) is not None or len(longest) <= column.type.length
        assert regex.match_object.match(longest + "a") is None, f"{node.name}: pattern allows more than the column"
        return
    limit = text_limits(node.validator)
    assert limit is not None, f"{node.name} accepts any length; its column {column} holds {column.type.length}"
    assert limit <= column.type.length, f"{node.name} accepts {limit} characters, its column holds {column.type.length}"


def test_the_table_covers_every_column_backed_text_of_the_api():
    assert len(list(stored_text_nodes())) >= 40
