"""One HTTP attempt of a webhook: POST the body to the vetted address, no redirects, short timeout."""

from __future__ import annotations

import time
from dataclasses import dataclass

import urllib3
from django.conf import settings

from webhooks.addresses import AddressRefused, AddressUnresolved, host_resolve, url_check

# What is kept of a failed answer's body, for the owner's delivery log.
ANSWER_SNIPPET_BYTES = 300
USER_AGENT = "SelectiveSpeaker-Webhooks/1"


@dataclass(frozen=True)
class Attempt:
    """How an attempt went: the HTTP status (None: no answer), an error, how long it took."""

    status: int | None
    error: str
    duration_ms: int
    refused: bool = False  # the URL or its address is not allowed: another attempt cannot help

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def webhook_post(url: str, body: bytes, headers: dict[str, str]) -> Attempt:
    """POST `body` to `url`. The host is resolved and checked now (webhooks.addresses) and the
    connection goes to that address, with the host's name for TLS and the Host header."""
    started = time.monotonic()

    def took() -> int:
        return round((time.monotonic() - started) * 1000)

    try:
        scheme, host, port, path = url_check(url)
        address = host_resolve(host, port)
    except AddressRefused as exc:
        return Attempt(None, f"refused: {exc}", took(), refused=True)
    except AddressUnresolved as exc:
        return Attempt(None, str(exc), took())
    timeout = urllib3.Timeout(total=settings.WEBHOOK_TIMEOUT_S)
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address, port, timeout=timeout, retries=False, maxsize=1,
            server_hostname=host, assert_hostname=host, cert_reqs="CERT_REQUIRED",
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False, maxsize=1)
    default_port = 443 if scheme == "https" else 80
    host_header = host if ":" not in host else f"[{host}]"
    host_header += "" if port == default_port else f":{port}"
    all_headers = {**headers, "Host": host_header, "Content-Type": "application/json", "User-Agent": USER_AGENT}
    try:
        with pool:
            response = pool.urlopen(
                "POST", path, body=body, headers=all_headers, redirect=False, retries=False,
                preload_content=False, assert_same_host=False,
            )
            snippet = response.read(ANSWER_SNIPPET_BYTES, decode_content=False)
            response.release_conn()
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        return Attempt(None, f"no answer: {type(exc).__name__}: {exc}"[:500], took())
    if 200 <= response.status < 300:
        return Attempt(response.status, "", took())
    if 300 <= response.status < 400:
        error = f"HTTP {response.status}: redirects are not followed (point the endpoint at the final URL)"
    else:
        error = f"HTTP {response.status}: {snippet.decode('utf-8', 'replace').strip()}"[:500]
    return Attempt(response.status, error, took())
