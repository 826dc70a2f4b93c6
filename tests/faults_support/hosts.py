"""The multi-host deployment of tests/multihost, on one machine: a web host (gunicorn) and worker "hosts"
that share nothing but PostgreSQL, Redis (broker and cache) and an S3-compatible store.

Each host is a subprocess tree started in a directory of its own — its working directory, its
TMPDIR, its VAR_DIR and its MEDIA_ROOT are there and nowhere else — with production's settings
(`selective_speaker.settings`, S3_* pointing at the store). The worker hosts run
`manage.py qcluster` with the stand-in engine (tests/faults_support/worker.py). The store is
moto's S3 server in a thread of pytest's process (`moto[server]`), with versioning on the bucket
so that the test can tell an object that was written and deleted from one that never was.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection

from tests.faults_support.cluster import REPO, WorkerCluster, start_cluster
from tests.faults_support.stack import TIMINGS, WEB_RATES, Stack, WebServer, database_url, free_port, stop_group

WSGI_APP = "selective_speaker.wsgi:application"
S3_REGION = "us-east-1"
S3_KEYS = {"S3_ACCESS_KEY_ID": "multihost-test", "S3_SECRET_ACCESS_KEY": "multihost-test-secret"}


@dataclass
class S3Store:
    """moto's S3 server on 127.0.0.1 and one versioned bucket in it."""

    server: object  # moto.server.ThreadedMotoServer
    endpoint: str
    bucket: str

    @property
    def env(self) -> dict[str, str]:
        """What a host needs to use the store (selective_speaker/settings/base.py, S3_*)."""
        return {
            "S3_BUCKET": self.bucket,
            "S3_ENDPOINT_URL": self.endpoint,
            "S3_REGION": S3_REGION,
            "S3_ADDRESSING_STYLE": "path",
            **S3_KEYS,
        }

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=S3_REGION,
            aws_access_key_id=S3_KEYS["S3_ACCESS_KEY_ID"],
            aws_secret_access_key=S3_KEYS["S3_SECRET_ACCESS_KEY"],
        )

    def keys(self) -> set[str]:
        """The objects in the bucket now (list_objects_v2)."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        return {item["Key"] for page in pages for item in page.get("Contents", [])}

    def history(self) -> tuple[dict[str, int], set[str]]:
        """(versions written per key, keys whose latest version is a delete marker)."""
        written: dict[str, int] = {}
        deleted: set[str] = set()
        for page in self.client().get_paginator("list_object_versions").paginate(Bucket=self.bucket):
            for version in page.get("Versions", []):
                written[version["Key"]] = written.get(version["Key"], 0) + 1
            deleted |= {marker["Key"] for marker in page.get("DeleteMarkers", []) if marker["IsLatest"]}
        return written, deleted

    def stop(self) -> None:
        self.server.stop()


def start_s3_store() -> S3Store:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per S3 request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    store = S3Store(server=server, endpoint=f"http://{host}:{port}", bucket=f"multihost-{uuid.uuid4().hex[:8]}")
    client = store.client()
    client.create_bucket(Bucket=store.bucket)
    client.put_bucket_versioning(Bucket=store.bucket, VersioningConfiguration={"Status": "Enabled"})
    return store


@dataclass
class Host:
    """A host's own directory: working directory, TMPDIR, VAR_DIR and MEDIA_ROOT."""

    name: str
    root: Path

    @property
    def env(self) -> dict[str, str]:
        for folder in ("tmp", "var", "media"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        return {
            "TMPDIR": str(self.root / "tmp"),
            "VAR_DIR": str(self.root / "var"),
            "MEDIA_ROOT": str(self.root / "media"),
        }

    def local_files(self) -> list[str]:
        """Files the host left in its MEDIA_ROOT (with S3 as the store: none may be there)."""
        media = self.root / "media"
        return sorted(p.relative_to(self.root).as_posix() for p in media.rglob("*") if p.is_file())


@dataclass
class Deployment:
    """The web host and the worker hosts; what they share is `env`."""

    workdir: Path
    store: S3Store
    redis_url: str
    queue: str  # the django-q2 cluster name: its Redis list and its signing salt
    retention: str = "processed"
    web: WebServer | None = None
    hosts: list[Host] = field(default_factory=list)
    clusters: list[WorkerCluster] = field(default_factory=list)

    def env(self, host: Host) -> dict[str, str]:
        db = connection.settings_dict
        return {
            "DJANGO_SETTINGS_MODULE": "selective_speaker.settings",  # production's, with S3
            "DATABASE_URL": database_url(int(db["PORT"] or 5432), f"multihost-{host.name}"),
            "REDIS_URL": self.redis_url,
            "Q_CLUSTER_NAME": self.queue,
            "CHUNK_AUDIO_RETENTION": self.retention,
            # production's batches, scaled like the timings: 120 s takes two 60 s chunks, 2 s two 1 s ones
            "CHUNK_BATCH_SECONDS": "2",
            "PYTHONUNBUFFERED": "1",
            **self.store.env,
            **host.env,
            **{name: str(value) for name, value in TIMINGS.items()},
        }

    def host(self, name: str) -> Host:
        host = Host(name, self.workdir / name)
        self.hosts.append(host)
        return host

    def start_web(self) -> WebServer:
        """gunicorn with two worker processes, as in production (deploy/): each keeps its S3
        client, where `runserver` would build one per request (a thread each)."""
        host = self.host("web")
        port = free_port()
        log = host.root / "web.log"
        env = {**os.environ, **self.env(host), **WEB_RATES, "PYTHONPATH": str(REPO)}
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2", WSGI_APP],
                cwd=host.root,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.web = WebServer(process=process, port=port, log=log)
        return self.web

    def start_worker_host(self, name: str, *, answer_after_s: float) -> WorkerCluster:
        """A host running a qcluster with one worker process, whose stand-in engine answers
        after `answer_after_s`."""
        host = self.host(name)
        env = {**self.env(host), "Q_WORKERS": "1", "FAULTS_ANSWER_AFTER_S": str(answer_after_s)}
        cluster = start_cluster(host.root, engine="answer", env=env, cwd=host.root)
        self.clusters.append(cluster)
        return cluster

    # the web server answers and every cluster's worker has started; the clusters still alive
    wait_until_serving = Stack.wait_until_serving
    live_clusters = Stack.live_clusters

    def stop(self) -> None:
        if self.web is not None:
            stop_group(self.web.process)
        for cluster in self.clusters:
            cluster.kill()


def start_deployment(workdir: Path, redis_url: str, store: S3Store) -> Deployment:
    workdir.mkdir(parents=True, exist_ok=True)
    return Deployment(workdir=workdir, store=store, redis_url=redis_url, queue=f"multihost-{uuid.uuid4().hex[:12]}")
