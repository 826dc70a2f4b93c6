"""The upload bench behind `manage.py bench_ingest`: N client threads upload distinct Opus chunks
as fast as the server takes them; uploads/s and the latency percentiles of the answers.

Every upload is a new chunk: the same recording remuxed (no re-encoding) with its own tag, so
its bytes — and the checksum the deduplication compares — differ, under its own start time. A
client is a function that posts one file and returns the HTTP status: over HTTP to a running
server (`http_client`), or through Django's test client in this process (`test_client`).
"""

from __future__ import annotations

import io
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.client import HTTPConnection, HTTPSConnection
from pathlib import Path
from urllib.parse import urlsplit

import av
import numpy as np

from selective_speaker.speech.timing import percentile

UPLOAD_PATH = "/api/v1/chunks/"
SAMPLE_RATE = 16_000

Post = Callable[[bytes, datetime], int]


@dataclass(frozen=True)
class IngestResult:
    uploads: int
    clients: int
    wall_s: float
    latencies_s: tuple[float, ...]
    statuses: dict[int, int]

    @property
    def per_second(self) -> float:
        return self.uploads / self.wall_s if self.wall_s else 0.0

    def percentile(self, share: float) -> float:
        return percentile(self.latencies_s, share)

    def summary(self) -> str:
        statuses = ", ".join(f"{code}: {count}" for code, count in sorted(self.statuses.items()))
        return (
            f"{self.uploads} uploads, {self.clients} clients: {self.per_second:.1f} uploads/s, "
            f"p50 {self.percentile(0.5) * 1000:.0f} ms, p95 {self.percentile(0.95) * 1000:.0f} ms ({statuses})"
        )


def opus_recording(seconds: float, *, seed: int = 0) -> bytes:
    """An Ogg Opus recording of a voice-like signal (a gliding, syllable-modulated tone in noise)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    pitch = 140 + 40 * np.sin(2 * np.pi * 0.3 * t)
    syllables = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)
    signal = 0.3 * np.sin(2 * np.pi * np.cumsum(pitch) / SAMPLE_RATE) * syllables
    signal = (signal + 0.02 * rng.standard_normal(t.size)).astype(np.float32)
    frame = av.AudioFrame.from_ndarray(signal.reshape(1, -1), format="flt", layout="mono")
    frame.sample_rate = SAMPLE_RATE
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=48_000, layout="mono")
        stream.bit_rate = 32_000
        for resampled in av.AudioResampler(format="s16", layout="mono", rate=48_000).resample(frame):
            container.mux(stream.encode(resampled))
        container.mux(stream.encode(None))
    return buffer.getvalue()


def distinct_copies(recording: bytes, count: int) -> list[bytes]:
    """`count` remuxes of an Ogg recording, each tagged with its own id (different bytes, same audio)."""
    copies = []
    for _ in range(count):
        buffer = io.BytesIO()
        with av.open(io.BytesIO(recording)) as source, av.open(buffer, "w", format="ogg") as target:
            target.metadata["comment"] = uuid.uuid4().hex
            stream = target.add_stream_from_template(source.streams.audio[0])
            for packet in source.demux(source.streams.audio[0]):
                if packet.dts is not None:
                    packet.stream = stream
                    target.mux(packet)
        copies.append(buffer.getvalue())
    return copies


def ingest_bench(
    post: Post, files: list[bytes], *, clients: int, first_start: datetime, spacing_s: float
) -> IngestResult:
    """Upload every file once, `clients` at a time; file i starts at first_start + i × spacing_s."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    next_index = iter(range(len(files)))

    def client() -> None:
        while True:
            with lock:
                index = next(next_index, None)
            if index is None:
                return
            started = time.perf_counter()
            status = post(files[index], first_start + timedelta(seconds=index * spacing_s))
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[status] += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return IngestResult(len(files), clients, wall, tuple(latencies), dict(statuses))


def process_tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process's children — a gunicorn master's
    workers — read from /proc (Linux)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    ticks = 0
    for child in children:
        fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _form(audio: bytes, start: datetime, device_id: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="device_id"\r\n\r\n{device_id}\r\n',
        f'--{boundary}\r\nContent-Disposition: form-data; name="start_ts"\r\n\r\n{start.isoformat()}\r\n',
        f'--{boundary}\r\nContent-Disposition: form-data; name="audio"; filename="chunk.opus"\r\n'
        "Content-Type: audio/ogg\r\n\r\n",
    ]
    body = "".join(parts).encode() + audio + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def http_client(base_url: str, token: str, *, device_id: str) -> Post:
    """Posts over HTTP to a running server, one keep-alive connection per client thread."""
    url = urlsplit(base_url)
    connection_class = HTTPSConnection if url.scheme == "https" else HTTPConnection
    local = threading.local()

    def post(audio: bytes, start: datetime) -> int:
        if getattr(local, "connection", None) is None:
            local.connection = connection_class(url.netloc, timeout=120)
        body, content_type = _form(audio, start, device_id)
        headers = {"Authorization": f"Token {token}", "Content-Type": content_type}
        try:
            local.connection.request("POST", url.path.rstrip("/") + UPLOAD_PATH, body, headers)
            response = local.connection.getresponse()
            response.read()
        except (OSError, ConnectionError):
            local.connection.close()
            local.connection = None
            return 0  # no answer
        return response.status

    return post


def test_client(user, *, device_id: str) -> Post:
    """Posts through Django's test client in this process (the whole request path, no server)."""
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from rest_framework.test import APIClient

    local = threading.local()
    named = [host.lstrip(".") for host in settings.ALLOWED_HOSTS if host.strip(".*")]
    host = named[0] if named else "localhost"  # a host the settings allow

    def post(audio: bytes, start: datetime) -> int:
        if getattr(local, "client", None) is None:
            local.client = APIClient(SERVER_NAME=host)
            local.client.force_authenticate(user)
        data = {"audio": SimpleUploadedFile("chunk.opus", audio), "device_id": device_id, "start_ts": start}
        return local.client.post(UPLOAD_PATH, data, format="multipart").status_code

    return post
