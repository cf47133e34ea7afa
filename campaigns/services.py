"""Clients, campaigns, steps and the quota counters (spec §5 rule 7)."""
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import contains_eager, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from campaigns.models import Campaign, CampaignField, Client, Step
from portal.errors import RuleViolation
from portal.history import record
from portal.i18n import _
from portal.listing import where_words
from portal.accounts.models import User

COUNTER_NAMES = ("purchased", "taken", "to_confirm", "cancelled", "recovered")
# Summed with the boxes, not shown in them: the places kept for recoveries (rule 11).
SUMMED = COUNTER_NAMES + ("recoveries_pending",)


def create_client(dbsession, *, slug, name, timezone="Europe/Rome", country="IT", account_manager=None):
    refuse_duplicate(dbsession, select(Client.id).where(Client.slug == slug), "slug")
    client = Client(
        slug=slug,
        name=name,
        timezone=timezone,
        country=country,
        account_manager_id=account_manager.id if account_manager is not None else None,
        last_appointment_number=0,
    )
    dbsession.add(client)
    dbsession.flush()
    return client


CLIENT_DETAILS = ("name", "timezone", "country")


def update_client(dbsession, client, *, actor=None, now, **changes):
    """A client's name, time zone, country (its public holidays) and account manager (a User or None).

    A new time zone keeps every appointment at the same instant (they are stored in UTC): their
    wall-clock times in the client's time zone move, and the weekly schedules are read in the new
    zone from now on. The page says so before saving."""
    unknown = set(changes) - set(CLIENT_DETAILS) - {"account_manager"}
    if unknown:
        raise ValueError(f"not a client's detail: {sorted(unknown)}")
    manager = changes.get("account_manager")
    if manager is not None and manager.role != "account_manager":
        raise RuleViolation("validation_error", _(
            "unknown_account_manager", default="No account manager has this e-mail."), "account_manager")
    before, after = {}, {}
    for name in CLIENT_DETAILS:
        if name in changes and changes[name] != getattr(client, name):
            before[name], after[name] = getattr(client, name), changes[name]
            setattr(client, name, changes[name])
    if "account_manager" in changes:
        manager_id = manager.id if manager is not None else None
        if manager_id != client.account_manager_id:
            old = dbsession.get(User, client.account_manager_id) if client.account_manager_id else None
            before["account_manager"] = old.email if old is not None else None
            after["account_manager"] = manager.email if manager is not None else None
            client.account_manager_id = manager_id
    if after:
        record(dbsession, client_id=client.id, subject="client", action="updated", before=before, after=after,
               actor=actor, at=now)
    dbsession.flush()
    return client


def create_campaign(dbsession, client, *, slug, name, appointment_minutes=60, buffer_minutes=30, cutoff_hours=36):
    refuse_duplicate(
        dbsession, select(Campaign.id).where(Campaign.client_id == client.id, Campaign.slug == slug), "slug"
    )
    campaign = Campaign(
        client=client,
        slug=slug,
        name=name,
        appointment_minutes=appointment_minutes,
        buffer_minutes=buffer_minutes,
        cutoff_hours=cutoff_hours,
        purchased=0,
        last_step_number=0,
        alert_thresholds=[80, 90, 100],
        taken=0,
        to_confirm=0,
        cancelled=0,
        recovered=0,
        recoveries_pending=0,
        recoveries_per_day=2,
    )
    dbsession.add(campaign)
    dbsession.flush()
    return campaign


def update_campaign_settings(campaign, **settings):
    """Length, travel buffer, insertion cutoff and hold time: they apply to bookings made from now on."""
    if "alert_thresholds" in settings:
        check_alert_thresholds(settings["alert_thresholds"])
    for name, value in settings.items():
        setattr(campaign, name, value)
    return campaign


def check_alert_thresholds(thresholds):
    """Rule 12's thresholds: at least one whole percentage from 1 to 100, ascending, none twice."""
    values = list(thresholds or ())
    if (not values or any(isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100
                          for value in values) or values != sorted(set(values))):
        raise RuleViolation("validation_error", _(
            "bad_alert_thresholds", default="Percentages from 1 to 100, in ascending order, each once."),
            "alert_thresholds")
    return values


def add_campaign_field(dbsession, campaign, *, name, label, kind, required=False, help_text="", choices=()):
    """A new prospect field operators fill in when booking (rule 14)."""
    refuse_duplicate(dbsession, select(CampaignField.id).where(
        CampaignField.campaign_id == campaign.id, CampaignField.name == name), "name")
    position = dbsession.execute(
        select(func.count()).select_from(CampaignField).where(CampaignField.campaign_id == campaign.id)
    ).scalar_one()
    field = CampaignField(campaign=campaign, name=name, label=label, kind=kind, required=required,
                          help_text=help_text, choices=list(choices), position=position)
    dbsession.add(field)
    dbsession.flush()
    return field


def check_step_terms(quantity, valid_from, valid_to):
    """A step buys at least one appointment and ends on or after the day it starts."""
    if quantity is None or quantity <= 0:
        raise RuleViolation("validation_error", _("step_quantity_positive",
                                                  default="A step buys at least one appointment."), "quantity")
    if valid_from and valid_to and valid_to < valid_from:
        raise RuleViolation(
            "validation_error", _("step_dates_reversed", default="The step ends before it starts."), "valid_to"
        )


def add_step(dbsession, campaign, *, quantity, now, valid_from=None, valid_to=None, description="", created_by=None):
    """A new draft step (a renewal, after the first), numbered after the campaign's last one."""
    check_step_terms(quantity, valid_from, valid_to)
    step = Step(
        campaign=campaign,
        number=next_step_number(dbsession, campaign),
        quantity=quantity,
        valid_from=valid_from,
        valid_to=valid_to,
        description=description,
        state="draft",
        created_by_id=created_by.id if created_by is not None else None,
        created_at=now,
    )
    dbsession.add(step)
    dbsession.flush()
    note_step(dbsession, step, campaign, "step_added", {}, created_by, now)
    return step


def next_step_number(dbsession, campaign):
    """A number never given before, not even to a deleted draft: contracts are quoted by it. The
    UPDATE also queues two renewals drafted at once instead of failing one of them."""
    number = dbsession.execute(
        update(Campaign).where(Campaign.id == campaign.id)
        .values(last_step_number=Campaign.last_step_number + 1).returning(Campaign.last_step_number),
        execution_options={"synchronize_session": False},
    ).scalar_one()
    set_committed_value(campaign, "last_step_number", number)
    return number


def confirm_step(dbsession, step, *, now, actor=None):
    """A confirmed step adds its quantity to *purchased*, and so reopens a full campaign to the
    operators; the quota alerts count again from its confirmation (rule 12)."""
    if step.state == "confirmed":
        raise RuleViolation("conflict", _("step_already_confirmed", default="This step is already confirmed."))
    step.state = "confirmed"
    step.confirmed_at = now
    step.confirmed_by_id = actor.id if actor is not None else None
    change_counters(dbsession, step.campaign_id, purchased=step.quantity)
    note_step(dbsession, step, step.campaign, "step_confirmed", {"state": "draft"}, actor, now)
    return step


def refuse_if_confirmed(step):
    """A confirmed step is a signed contract: it is never changed nor deleted; renewals add steps."""
    if step.state == "confirmed":
        raise RuleViolation("conflict", _("step_confirmed_locked",
                                          default="A confirmed step cannot be changed: add a new step instead."))


def update_step(dbsession, step, *, quantity, valid_from, valid_to, description, now, actor=None):
    """Change a draft step's terms."""
    refuse_if_confirmed(step)
    check_step_terms(quantity, valid_from, valid_to)
    before = {"quantity": step.quantity, "valid_from": str(step.valid_from or ""), "valid_to": str(step.valid_to or ""),
              "description": step.description}
    step.quantity, step.valid_from, step.valid_to, step.description = quantity, valid_from, valid_to, description
    dbsession.flush()
    note_step(dbsession, step, step.campaign, "step_changed", before, actor, now)
    return step


def delete_step(dbsession, step, *, now, actor=None):
    """Drop a draft that will not be signed; its number is never given again."""
    refuse_if_confirmed(step)
    campaign = step.campaign
    note_step(dbsession, step, campaign, "step_deleted", {"state": step.state}, actor, now)
    dbsession.delete(step)
    dbsession.flush()


def campaign_steps(dbsession, campaign):
    """The campaign's steps by number, with who created and confirmed them (one query each)."""
    return dbsession.execute(
        select(Step).options(selectinload(Step.created_by), selectinload(Step.confirmed_by))
        .where(Step.campaign_id == campaign.id).order_by(Step.number)
    ).scalars().all()


def note_step(dbsession, step, campaign, action, before, actor, now):
    after = {"number": step.number, "quantity": step.quantity, "state": step.state}
    record(dbsession, client_id=campaign.client_id, campaign_id=campaign.id, subject="step", action=action,
           before=before, after=after, actor=actor, at=now)


def change_counters(dbsession, campaign_id, **deltas):
    """Add the deltas to the campaign's counters in one UPDATE (no lost update)."""
    values = {name: getattr(Campaign, name) + delta for name, delta in deltas.items() if delta}
    if values:
        dbsession.execute(
            update(Campaign).where(Campaign.id == campaign_id).values(**values),
            execution_options={"synchronize_session": False},
        )
        _expire_campaign(dbsession, campaign_id)


def _take_place_statement(for_recovery):
    """The guarded UPDATE of ``take_place``, built once for each case (campaign_id bound per call)."""
    c = Campaign.__table__.c  # the table, not the entity: no ORM bulk-update machinery (0.1 ms a call)
    if for_recovery:  # the place was kept for it since the cancellation
        guard = c.taken < c.purchased
        recovery = {"recoveries_pending": c.recoveries_pending - 1, "recovered": c.recovered + 1}
    else:
        guard, recovery = c.taken + c.recoveries_pending < c.purchased, {}
    return (update(Campaign.__table__).where(c.id == bindparam("campaign_id"), guard)
            .values(taken=c.taken + 1, to_confirm=c.to_confirm + 1, **recovery)
            .returning(c.taken, c.purchased))


TAKE_PLACE, TAKE_RECOVERY_PLACE = _take_place_statement(False), _take_place_statement(True)


def take_place(dbsession, campaign, for_recovery=False):
    """Take one place of the quota for a new appointment, or refuse with ``quota_exhausted``;
    returns (taken, purchased) after taking it. Places freed by approved cancellations are kept
    for the recoveries owed (rule 11): only a recovery's booking may take them.

    The guarded UPDATE both checks and takes: PostgreSQL re-reads the row once
    a concurrent booking commits, and SQLite has one writer at a time, so two
    bookings can never both take the last place.
    """
    row = dbsession.execute(TAKE_RECOVERY_PLACE if for_recovery else TAKE_PLACE, {"campaign_id": campaign.id}).first()
    _expire_campaign(dbsession, campaign.id)
    if row is None:
        raise RuleViolation("quota_exhausted", field="campaign")
    return row.taken, row.purchased


def client_counts(dbsession, client_id):
    """The client folder's boxes: the sums of its campaigns' counters."""
    return counts_by_client(dbsession, [client_id])[client_id]


def counts_by_client(dbsession, client_ids):
    """The boxes of many clients in one grouped query (the staff's list of clients)."""
    sums = (func.coalesce(func.sum(getattr(Campaign, name)), 0) for name in SUMMED)
    rows = dbsession.execute(
        select(Campaign.client_id, *sums).where(Campaign.client_id.in_(client_ids)).group_by(Campaign.client_id)
    ).all()
    found = {row[0]: dict(zip(SUMMED, (int(value) for value in row[1:]))) for row in rows}
    result = {}
    for client_id in client_ids:
        counts = found.get(client_id, dict.fromkeys(SUMMED, 0))
        counts["open_for_booking"] = counts["taken"] + counts.pop("recoveries_pending") < counts["purchased"]
        result[client_id] = counts
    return result


def summed_counts(campaigns):
    """The client folder's boxes from its campaigns (with their counters) already read: what
    ``client_counts`` sums in SQL."""
    counts = {name: sum(getattr(campaign, name) for campaign in campaigns) for name in SUMMED}
    counts["open_for_booking"] = counts["taken"] + counts.pop("recoveries_pending") < counts["purchased"]
    return counts


def campaign_counts(campaign):
    counts = {name: getattr(campaign, name) for name in COUNTER_NAMES}
    counts["open_for_booking"] = campaign.open_for_booking
    return counts


def campaigns_open_for_booking(dbsession, search=None):
    """Campaigns with places left, the operators' list (rule 7): a full one leaves it.
    ``search``: words that must each appear in the client's or the campaign's name or short name."""
    return dbsession.execute(open_for_booking_query(search)).scalars().all()


def open_for_booking_query(search=None, client_ids=None, client=None):
    """The query of the campaigns open for booking, by client and name, for the database to cut into pages;
    ``client_ids`` (None: all) the clients the user may book for, ``client`` one client's short name."""
    query = (
        select(Campaign)
        .join(Client)
        .options(contains_eager(Campaign.client))
        .where(Campaign.taken + Campaign.recoveries_pending < Campaign.purchased)
        .order_by(Client.name, Campaign.name, Campaign.id)
    )
    if client_ids is not None:
        query = query.where(Client.id.in_(client_ids))
    if client:
        query = query.where(Client.slug == client)
    return where_words(query, search, (Client.name, Client.slug, Campaign.name, Campaign.slug))


def _expire_campaign(dbsession, campaign_id):
    campaign = dbsession.identity_map.get(dbsession.identity_key(Campaign, campaign_id))
    if campaign is not None:
        dbsession.expire(campaign, list(SUMMED))


def refuse_duplicate(dbsession, query, field):
    """Refuse with ``conflict`` when ``query`` finds a row (a slug or e-mail in use)."""
    if dbsession.execute(query).first() is not None:
        raise RuleViolation("conflict", _("already_exists", default="This name is already in use."), field)
