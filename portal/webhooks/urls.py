"""Where the portal may send a request of its own (webhooks; calendar feeds next): never into the network it
runs in. A URL whose host is, or resolves to, a loopback, private, link-local (cloud metadata), multicast,
reserved or otherwise non-public address is refused, when it is saved and again before every request, since
what a name resolves to can change. ``http://`` is refused unless the deployment allows it; named subnets
(an on-premise dialer) may be allowed.
"""
import ipaddress
import socket
from urllib.parse import urlsplit

from portal.errors import RuleViolation
from portal.i18n import _
from portal.settings import as_bool

ALLOW_HTTP = "portal.outbound.allow_http"
ALLOWED_NETWORKS = "portal.outbound.allowed_networks"
MAX_URL_LENGTH = 2000


class OutboundPolicy:
    """What the deployment allows: plain http, and networks that are not public but trusted."""

    def __init__(self, allow_http=False, allowed_networks=()):
        self.allow_http = allow_http
        self.allowed_networks = tuple(ipaddress.ip_network(network, strict=False) for network in allowed_networks)

    @classmethod
    def from_settings(cls, settings):
        networks = (settings.get(ALLOWED_NETWORKS) or "").replace(",", " ").split()
        return cls(as_bool(settings.get(ALLOW_HTTP, False)), networks)

    def allows_address(self, address):
        ip = ipaddress.ip_address(address.split("%")[0])  # an IPv6 scope id ("fe80::1%eth0") names no network
        if ip.version == 6 and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if any(ip in network for network in self.allowed_networks):
            return True
        return ip.is_global and not ip.is_multicast


def forbidden(reason):
    return RuleViolation("webhook_url_forbidden", _(
        "webhook_url_forbidden_reason", default="This address cannot be used: ${reason}.",
        mapping={"reason": reason}), "url")


def resolve(host, port):
    try:
        return {info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)}
    except (socket.gaierror, UnicodeError):
        raise forbidden(_("url_host_unknown", default="its host name does not resolve"))


def check_url(url, policy, resolver=resolve):
    """The addresses ``url`` resolves to, all allowed; else ``webhook_url_forbidden`` naming why."""
    if len(url) > MAX_URL_LENGTH:
        raise forbidden(_("url_too_long", default="it is too long"))
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise forbidden(_("url_malformed", default="it is not a valid URL"))
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise forbidden(_("url_not_web", default="it must be an https:// URL"))
    if parts.scheme == "http" and not policy.allow_http:
        raise forbidden(_("url_not_https", default="only https:// URLs are allowed"))
    if parts.username or parts.password:
        raise forbidden(_("url_with_credentials", default="it must not hold a user name or password"))
    addresses = resolver(parts.hostname, port)
    if not addresses or not all(policy.allows_address(address) for address in addresses):
        raise forbidden(_("url_not_public", default="its host is not a public internet address"))
    return addresses
