"""Where a webhook may point: the URL's shape, and addresses that are safe to connect to.

An endpoint's URL is checked when it is saved (a clear 400) and its host is resolved again
before every attempt, the connection going to the very address that was checked (a DNS answer
that changes in between cannot point a request inside the server's network). By default:
- https only (WEBHOOK_ALLOW_HTTP allows http://, for a receiver on the same machine or a trusted network);
- only public addresses: loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local
  (169.254/16 — cloud metadata services), carrier-grade NAT, multicast and reserved ranges are
  refused, and so is a name that resolves to any of them (WEBHOOK_ALLOW_PRIVATE_ADDRESSES allows
  them, for a self-hosted setup whose receiver lives next to it).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class AddressRefused(Exception):
    """The URL or the address it resolves to is not allowed (retrying cannot help)."""


class AddressUnresolved(Exception):
    """The host name does not resolve now (a retry may help)."""


def url_check(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of an allowed URL; AddressRefused says why not."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise AddressRefused(f"not a valid URL: {exc}") from exc
    allowed = ("https", "http") if settings.WEBHOOK_ALLOW_HTTP else ("https",)
    if parts.scheme not in allowed:
        raise AddressRefused("the URL must start with https://" if allowed == ("https",) else "the URL must be http(s)")
    if not parts.hostname:
        raise AddressRefused("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise AddressRefused("the URL must not carry a user name or password (put a token in its path or query)")
    if parts.fragment:
        raise AddressRefused("the URL must not have a #fragment")
    port = port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = parts.hostname
    if _ip(host) is not None:
        address_check(host)
    elif host == "localhost" or host.endswith(".localhost"):
        address_check("127.0.0.1")
    return parts.scheme, host, port, path


def address_check(address: str) -> None:
    """AddressRefused unless connecting to `address` is allowed."""
    if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        return
    ip = _ip(address)
    if ip is None:
        raise AddressRefused(f"{address} is not an IP address")
    mapped = getattr(ip, "ipv4_mapped", None)  # ::ffff:10.0.0.1 is 10.0.0.1
    if not (mapped or ip).is_global or ip.is_multicast:
        raise AddressRefused(
            f"{address} is a private, loopback or reserved address; "
            "a self-hosted setup allows these with WEBHOOK_ALLOW_PRIVATE_ADDRESSES=true"
        )


def host_resolve(host: str, port: int) -> str:
    """The address to connect to for `host`: every address it resolves to must be allowed (one
    bad answer refuses it all), the first is used. AddressUnresolved when it does not resolve."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressUnresolved(f"{host} does not resolve: {exc}") from exc
    addresses = list(dict.fromkeys(str(answer[4][0]) for answer in answers))
    if not addresses:
        raise AddressUnresolved(f"{host} does not resolve")
    for address in addresses:
        address_check(address.split("%", 1)[0])  # an IPv6 zone id is no part of the address
    return addresses[0]


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
