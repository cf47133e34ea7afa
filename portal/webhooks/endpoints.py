"""Adding an endpoint and rotating its secret (spec §9.2). The secret is returned once, to be shown once;
the database keeps it encrypted."""
from datetime import timedelta

from portal.errors import RuleViolation
from portal.i18n import _
from portal.webhooks.events import EVENT_TYPES, forget_endpoints
from portal.webhooks.keys import KeyMissing, encrypt
from portal.webhooks.models import WebhookEndpoint
from portal.webhooks.signing import new_secret
from portal.webhooks.urls import OutboundPolicy, check_url

ROTATION_OVERLAP = timedelta(hours=24)  # the old secret keeps signing beside the new one this long


def check_event_types(event_types):
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown:
        raise RuleViolation("validation_error", _("unknown_event_types", default="Unknown event types: ${types}.",
                                                  mapping={"types": ", ".join(unknown)}), "event_types")
    return sorted(set(event_types))


def encrypted(settings, secret):
    try:
        return encrypt(settings, secret)
    except KeyMissing:
        raise RuleViolation("service_unavailable", _(
            "encryption_key_missing", default="Webhooks cannot be set up yet: the portal has no encryption key "
            "(PORTAL_ENCRYPTION_KEYS)."))


def create_endpoint(dbsession, settings, *, url, now, client_id=None, event_types=(), description=""):
    """A new endpoint (``client_id`` None: the call-center's, hearing every client) and its secret."""
    check_url(url, OutboundPolicy.from_settings(settings))
    secret = new_secret()
    endpoint = WebhookEndpoint(client_id=client_id, url=url, description=description or "",
                               event_types=check_event_types(event_types), enabled=True,
                               secret=encrypted(settings, secret), created_at=now)
    dbsession.add(endpoint)
    dbsession.flush()
    forget_endpoints(dbsession)
    return endpoint, secret


def rotate_secret(dbsession, settings, endpoint, now):
    """A new secret; the old one signs beside it for ``ROTATION_OVERLAP``, time for the receiver to switch."""
    secret = new_secret()
    endpoint.previous_secret, endpoint.previous_secret_until = endpoint.secret, now + ROTATION_OVERLAP
    endpoint.secret = encrypted(settings, secret)
    return secret
