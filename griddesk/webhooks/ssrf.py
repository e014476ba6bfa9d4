"""The SSRF guard: a webhook URL must be http(s) and resolve only to public
addresses, unless its host or address is allow-listed by
``GRIDDESK_WEBHOOK_ALLOWED_HOSTS`` (comma-separated host names or CIDRs, empty
by default). Checked when a subscription is created or changed, and again
at every delivery (a name may resolve elsewhere later); the delivery then
connects to the address that was checked, so a second lookup cannot swap it."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

IP = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Cloud metadata endpoints (most are link-local already; listed for clarity).
METADATA = (ipaddress.ip_network("169.254.169.254/32"), ipaddress.ip_network("fd00:ec2::254/128"),
            ipaddress.ip_network("100.100.100.200/32"))


class Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


def _allow_list() -> tuple[frozenset[str], tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]]:
    raw = getattr(settings, "GRIDDESK_WEBHOOK_ALLOWED_HOSTS", "") or ""
    items = raw if isinstance(raw, (list, tuple)) else str(raw).split(",")
    hosts: set[str] = set()
    nets = []
    for item in (i.strip().lower() for i in items):
        if not item:
            continue
        try:
            nets.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            hosts.add(item.rstrip("."))
    return frozenset(hosts), tuple(nets)


def forbidden(ip: IP) -> bool:
    """Loopback, private, link-local, multicast, reserved, unspecified, metadata or not globally routable."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast or ip.is_reserved
        or ip.is_unspecified or not ip.is_global or any(ip in n for n in METADATA)
    )


def parse(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused("bad_url", _("Enter a valid webhook URL.")) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise Refused("bad_scheme", _("Only http and https URLs can receive webhooks."))
    host = (parts.hostname or "").rstrip(".")
    if not host or parts.username or parts.password:
        raise Refused("bad_url", _("Enter a valid URL (with a host and no user name or password)."))
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, host, port or (443 if scheme == "https" else 80), path


def check(url: str) -> Target:
    """Parse and resolve ``url``; raise :class:`Refused` unless every address is allowed."""
    scheme, host, port, path = parse(url)
    hosts, nets = _allow_list()
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Refused("unresolvable_host", _("The host of this URL cannot be resolved.")) from None
    addresses: list[str] = []
    for info in infos:
        addr = str(info[4][0]).split("%", 1)[0]
        ip = ipaddress.ip_address(addr)
        if host.lower() not in hosts and not any(ip in n for n in nets) and forbidden(ip):
            raise Refused(
                "refused_address",
                _("This URL points to an internal address (%(address)s); webhooks go only to public addresses "
                  "unless the host is allow-listed.") % {"address": addr},
            )
        if addr not in addresses:
            addresses.append(addr)
    if not addresses:
        raise Refused("unresolvable_host", _("The host of this URL cannot be resolved."))
    return Target(scheme, host, port, path, tuple(addresses))
