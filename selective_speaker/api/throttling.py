"""Rate limits beyond DRF's per-user and per-anonymous-IP ones, and the client address they count by.

The counters live in the cache; while Redis is down it answers from each process's memory
(selective_speaker/cache.py), so the limits hold per process and no request fails for it.
"""

from __future__ import annotations

import ipaddress

from rest_framework.throttling import BaseThrottle, SimpleRateThrottle


class IpRateThrottle(SimpleRateThrottle):
    """Every request from one client address, signed in or not (scope "ip", API_THROTTLE_IP).

    DRF's AnonRateThrottle counts only anonymous requests and UserRateThrottle counts per
    account, so one address holding many accounts (or tokens) would get each account's full
    rate. The address is REMOTE_ADDR, or the X-Forwarded-For entry API_NUM_PROXIES from the
    right when the app sits behind that many proxies (a client cannot spoof its way out).
    """

    scope = "ip"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def client_address(request) -> str | None:
    """The client's IP address as the throttles see it (API_NUM_PROXIES), for the login lockout.

    django-axes calls it (AXES_CLIENT_IP_CALLABLE) with the request of a login form or of the
    token endpoint. What is not an IP address — a proxy count that does not match the proxies
    really there lets a client's own X-Forwarded-For text through — gives way to REMOTE_ADDR:
    the lockout's records keep addresses only.
    """
    for candidate in (BaseThrottle().get_ident(request), request.META.get("REMOTE_ADDR")):
        try:
            return str(ipaddress.ip_address((candidate or "").strip()))
        except ValueError:
            continue
    return None
