"""`portal-manage <ini> add-webhook`: an endpoint added from the command line, its secret printed once and
stored encrypted; a forbidden URL or an unknown event type refused, coded."""
from argparse import Namespace
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from callcenter.manage import add_webhook_command
from portal.errors import RuleViolation
from portal.webhooks.keys import decrypt
from portal.webhooks.models import WebhookEndpoint
from tests.conftest import BASE_SETTINGS, NOW
from tests.factories import Tenant

SETTINGS = {**BASE_SETTINGS, "portal.outbound.allowed_networks": "93.184.215.0/24"}


def request_for(dbsession):
    return SimpleNamespace(dbsession=dbsession, now=NOW, registry=SimpleNamespace(settings=SETTINGS))


def test_the_command_adds_a_clients_endpoint_and_prints_its_secret_once(dbsession, capsys):
    tenant = Tenant(dbsession, purchased=10)
    args = Namespace(url="https://93.184.215.14/crm", client=tenant.client.slug, event=["appointment.booked"],
                     description="CRM")
    assert add_webhook_command(request_for(dbsession), args) == 0
    endpoint = dbsession.scalars(select(WebhookEndpoint).where(WebhookEndpoint.client_id == tenant.client.id)).one()
    secret = capsys.readouterr().out.split("signing secret (shown once): ")[1].strip()
    assert secret.startswith("whsec_") and secret not in endpoint.secret
    assert decrypt(SETTINGS, endpoint.secret) == secret
    assert endpoint.event_types == ["appointment.booked"]


@pytest.mark.parametrize("url,event,code", [("https://10.0.0.7/dialer", [], "webhook_url_forbidden"),
                                            ("https://93.184.215.14/x", ["appointment.exploded"], "validation_error")])
def test_a_forbidden_url_or_an_unknown_event_is_refused(dbsession, url, event, code):
    with pytest.raises(RuleViolation) as refused:
        add_webhook_command(request_for(dbsession), Namespace(url=url, client=None, event=event, description=""))
    assert refused.value.code == code
