"""The outbound guard: no request of the portal's own goes to its network (spec §9.2), coded 422."""
from importlib.resources import files

import pytest
from pyramid.i18n import make_localizer

from portal.errors import RuleViolation
from portal.i18n import translate_nested
from portal.webhooks.urls import OutboundPolicy, check_url, resolve

PUBLIC = "93.184.215.14"


def resolver_of(table):
    def resolver(host, port):
        return table[host]
    return resolver


@pytest.mark.parametrize("url", [
    "https://127.0.0.1/hook", "https://127.1.2.3:8443/hook", "https://10.0.0.5/hook", "https://10.255.255.255/",
    "https://172.16.0.1/", "https://192.168.1.20/", "https://169.254.169.254/latest/meta-data/",
    "https://[::1]/hook", "https://[fe80::1]/", "https://[fd00:ec2::254]/", "https://0.0.0.0/",
    "https://100.64.0.1/", "https://224.0.0.1/", "https://[::ffff:127.0.0.1]/", "https://localhost/hook",
])
def test_loopback_private_link_local_metadata_and_multicast_addresses_are_refused(url):
    with pytest.raises(RuleViolation) as refused:
        check_url(url, OutboundPolicy())
    assert (refused.value.code, refused.value.status, refused.value.field) == ("webhook_url_forbidden", 422, "url")


def test_a_name_that_resolves_to_a_private_address_is_refused_even_beside_a_public_one():
    policy = OutboundPolicy()
    with pytest.raises(RuleViolation):
        check_url("https://crm.example.test/hook", policy, resolver_of({"crm.example.test": {"10.1.2.3"}}))
    with pytest.raises(RuleViolation):
        check_url("https://crm.example.test/hook", policy, resolver_of({"crm.example.test": {PUBLIC, "127.0.0.1"}}))
    assert check_url("https://crm.example.test/hook", policy,
                     resolver_of({"crm.example.test": {PUBLIC}})) == {PUBLIC}


@pytest.mark.parametrize("url", ["http://crm.example.test/hook", "ftp://crm.example.test/", "crm.example.test",
                                 "https://user:pw@crm.example.test/", "https://crm.example.test:99999/",
                                 "https:///nohost", "https://crm.example.test/" + "a" * 2000])
def test_plain_http_other_schemes_credentials_and_malformed_urls_are_refused(url):
    with pytest.raises(RuleViolation) as refused:
        check_url(url, OutboundPolicy(), resolver_of({"crm.example.test": {PUBLIC}}))
    assert refused.value.code == "webhook_url_forbidden"


def test_the_deployment_may_allow_http_and_name_a_trusted_subnet():
    policy = OutboundPolicy.from_settings({"portal.outbound.allow_http": "true",
                                           "portal.outbound.allowed_networks": "10.20.0.0/16, 192.168.5.7"})
    assert check_url("http://dialer.lan/hook", policy, resolver_of({"dialer.lan": {"10.20.3.4"}})) == {"10.20.3.4"}
    assert check_url("https://192.168.5.7/hook", policy)
    with pytest.raises(RuleViolation):
        check_url("http://10.21.0.1/hook", policy)


def test_a_host_that_does_not_resolve_is_refused_not_a_crash():
    with pytest.raises(RuleViolation) as refused:
        check_url("https://no-such-host.invalid/hook", OutboundPolicy(), resolve)
    assert refused.value.code == "webhook_url_forbidden"


def test_the_refusal_says_why_in_italian_and_english():
    with pytest.raises(RuleViolation) as refused:
        check_url("http://crm.example.test/", OutboundPolicy(), resolver_of({"crm.example.test": {PUBLIC}}))
    directories = [str(files("portal") / "locale")]
    italian = translate_nested(make_localizer("it", directories).translate, refused.value.message)
    english = translate_nested(make_localizer("en", directories).translate, refused.value.message)
    assert english == "This address cannot be used: only https:// URLs are allowed."
    assert italian == "Questo indirizzo non si può usare: sono ammessi solo indirizzi https://."
