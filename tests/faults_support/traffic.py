"""The chaos suite's clients: a phone uploading chunks and the owner reading the API, from a few
threads, every answer recorded.

An upload answered 503 or 429, or not answered at all, is sent again a moment later (a phone
keeps its chunk until the server takes it; a repeat is safe); any other answer ends it. Reads go on between uploads, and while the uploads
wait for the test to let more of them go (`allow`), so that every fault meets both.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

UPLOAD_PATH = "/api/v1/chunks/"
READ_PATHS = ("/api/v1/utterances/", "/api/v1/chunks/")
RETRYABLE = (0, 429, 503)  # 0: no answer
REQUEST_TIMEOUT_S = 30


@dataclass(frozen=True)
class Reply:
    method: str
    path: str
    status: int  # 0: no answer (connection error or timeout)
    retry_after: str | None
    phase: str
    elapsed_s: float
    body: str  # the start of it, for reports

    @property
    def acceptable(self) -> bool:
        """Not a server error, or a 503 that tells the client when to come back."""
        return 0 < self.status < 500 or (self.status == 503 and bool(self.retry_after))


@dataclass
class Upload:
    index: int
    audio: bytes
    start_ts: str
    tries: int = 0
    chunk_id: int | None = None
    final_status: int | None = None
    not_before: float = 0.0


def make_uploads(count: int, wav: bytes, *, start: datetime) -> list[Upload]:
    """`count` different recordings from one WAV: each gets its own last sample (its own
    checksum) and start time, so that none is taken for a repeat of another."""
    uploads = []
    for index in range(count):
        audio = wav[:-2] + index.to_bytes(2, "little")
        start_ts = (start + timedelta(minutes=index)).astimezone(UTC).isoformat().replace("+00:00", "Z")
        uploads.append(Upload(index=index, audio=audio, start_ts=start_ts))
    return uploads


def multipart(fields: dict[str, str], *, file_field: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
        f"Content-Type: audio/wav\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@dataclass
class Traffic:
    """`clients` threads working through `uploads` (no further than `allow` lets them) and
    reading between them, until every upload has a final answer or `stop()`."""

    base_url: str
    token: str
    uploads: list[Upload]
    clients: int = 3
    pace_s: float = 0.05  # each client's pause between requests
    retry_pause_s: float = 0.2
    reads: bool = True  # the owner reads between uploads (False: uploads only)
    phase: str = "warm-up"
    replies: list[Reply] = field(default_factory=list)
    _allowed: int = 0
    _next: int = 0
    _retries: deque = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    # --- the test's side --------------------------------------------------------------------

    def start(self) -> Traffic:
        for n in range(self.clients):
            thread = threading.Thread(target=self._client, name=f"client-{n}", daemon=True)
            self._threads.append(thread)
            thread.start()
        return self

    def allow(self, count: int) -> None:
        """Let the clients send the first `count` uploads."""
        with self._lock:
            self._allowed = max(self._allowed, min(count, len(self.uploads)))

    def taken(self) -> int:
        """How many uploads were sent at least once."""
        return self._next

    def finished(self) -> bool:
        with self._lock:
            return self._next == len(self.uploads) and all(u.final_status is not None for u in self.uploads)

    def replies_in(self, phase: str) -> list[Reply]:
        return [reply for reply in list(self.replies) if reply.phase == phase]

    def stop(self, timeout: float = 2 * REQUEST_TIMEOUT_S) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=timeout)

    # --- the clients ------------------------------------------------------------------------

    def _client(self) -> None:
        reads = 0
        while not self._stop.is_set():
            upload = self._take()
            if upload is not None:
                self._upload(upload)
            elif self.finished():
                return
            if self.reads:
                self._request("GET", READ_PATHS[reads % len(READ_PATHS)])
                reads += 1
            time.sleep(self.pace_s)

    def _take(self) -> Upload | None:
        now = time.monotonic()
        with self._lock:
            if self._retries and self._retries[0].not_before <= now:
                return self._retries.popleft()
            if self._next < self._allowed:
                self._next += 1
                return self.uploads[self._next - 1]
        return None

    def _upload(self, upload: Upload) -> None:
        upload.tries += 1
        fields = {"device_id": "phone-1", "start_ts": upload.start_ts}
        body, content_type = multipart(fields, file_field="audio", filename="clip.wav", data=upload.audio)
        reply = self._request("POST", UPLOAD_PATH, body=body, content_type=content_type)
        if reply.status in RETRYABLE:
            upload.not_before = time.monotonic() + self.retry_pause_s
            with self._lock:
                self._retries.append(upload)
            return
        if reply.status in (200, 202):
            upload.chunk_id = json.loads(reply.body)["id"]
        upload.final_status = reply.status

    def _request(self, method: str, path: str, *, body: bytes | None = None, content_type: str = "") -> Reply:
        target = urlsplit(self.base_url)
        headers = {"Authorization": f"Token {self.token}", "Connection": "close"}
        if content_type:
            headers["Content-Type"] = content_type
        phase, started = self.phase, time.monotonic()
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=REQUEST_TIMEOUT_S)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
            reply = Reply(
                method, path, response.status, response.getheader("Retry-After"), phase,
                time.monotonic() - started, text if method == "POST" else text[:300],
            )  # fmt: skip
        except (OSError, http.client.HTTPException) as exc:
            reply = Reply(method, path, 0, None, phase, time.monotonic() - started, f"{type(exc).__name__}: {exc}")
        finally:
            conn.close()
        self.replies.append(reply)  # list.append is atomic
        return reply
