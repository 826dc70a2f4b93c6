"""Rate limits beyond DRF's per-user and per-anonymous-IP ones."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle


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
