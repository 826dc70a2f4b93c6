"""Deployment settings: `check --deploy` is clean with the production values .env.example
documents, secrets come only from the environment, and stored audio is never public (no media
URL locally, private objects and signed URLs on S3, owner-only file permissions).

Settings are read once per process, so each configuration runs in a subprocess with a clean
environment (only PATH and what the test sets).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import Resolver404, resolve
from django.views.static import serve

from tests.audio_samples import wav_bytes
from tests.factories import ChunkFactory, EnrollmentFactory
from tests.security.routes import project_routes
from tests.test_settings import settings_text

ROOT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = ROOT / ".env.example"


def production_env() -> dict[str, str]:
    """The `# --- production` block of .env.example, with a fresh random SECRET_KEY."""
    lines = ENV_EXAMPLE.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("# --- production"))
    values = {}
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        match = re.match(r"#\s*([A-Z][A-Z0-9_]*)=(\S*)", line)
        if match:
            values[match[1]] = match[2]
    assert values.get("DEBUG") == "false", values
    values["SECRET_KEY"] = secrets.token_urlsafe(50)
    return values


def run(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    clean = {"PATH": os.environ.get("PATH", ""), "VAR_DIR": str(tmp_path / "var"), **env}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=180
    )


def read_settings(names: list[str], env: dict[str, str], tmp_path: Path, extra: str = "") -> dict:
    """The values of `names` in a process with `env` (plus whatever `extra` code prints as `more`)."""
    script = (
        "import dataclasses, json, django; django.setup(); from django.conf import settings; more = None\n"
        f"{extra}\n"
        "plain = lambda o: dataclasses.asdict(o) if dataclasses.is_dataclass(o) else str(o)\n"  # SPEECH: an EngineConfig
        f"print(json.dumps({{'values': {{n: getattr(settings, n) for n in {names!r}}}, 'more': more}}, default=plain))"
    )
    result = run(["-c", script], {"DJANGO_SETTINGS_MODULE": "selective_speaker.settings", **env}, tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- check --deploy ---------------------------------------------------------------------------


def test_it_passes_check_deploy_with_the_documented_production_values(tmp_path):
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_it_fails_check_deploy_when_a_production_value_is_left_out(tmp_path):
    """The check above can fail: without HSTS it reports security.W004."""
    env = production_env()
    del env["SECURE_HSTS_SECONDS"]
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env, tmp_path)
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


def test_it_documents_every_production_value_with_the_other_settings():
    documented = set(re.findall(r"^# ([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), flags=re.M))
    settings_source = settings_text()
    for name in production_env():
        assert name in documented
        assert f'"{name}"' in settings_source, f"{name} is documented but the settings never read it"


def test_it_runs_with_the_development_defaults(tmp_path):
    result = run(["manage.py", "check"], {}, tmp_path)
    assert result.returncode == 0, result.stderr


# --- secrets from the environment only ----------------------------------------------------


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off(tmp_path):
    env = production_env()
    del env["SECRET_KEY"]
    result = run(["manage.py", "check"], env, tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_it_takes_every_secret_from_the_environment(tmp_path):
    env = {
        **production_env(),
        "DATABASE_URL": "postgres://app:db-pass-1@db.example.org:5432/speaker",
        "S3_BUCKET": "audio",
        "S3_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "S3_SECRET_ACCESS_KEY": "s3-secret-2",
        "GEOCODER_API_KEY": "geo-key-3",
        "HF_TOKEN": "hf-token-4",
    }
    seen = read_settings(["SECRET_KEY", "DATABASES", "STORAGES", "GEOCODER_API_KEY", "SPEECH"], env, tmp_path)["values"]
    assert seen["SECRET_KEY"] == env["SECRET_KEY"]
    assert seen["DATABASES"]["default"]["PASSWORD"] == "db-pass-1"
    assert seen["STORAGES"]["default"]["OPTIONS"]["secret_key"] == "s3-secret-2"
    assert seen["GEOCODER_API_KEY"] == "geo-key-3"
    assert seen["SPEECH"]["hf_token"] == "hf-token-4"


def test_it_has_no_secret_of_its_own_when_the_environment_gives_none(tmp_path):
    seen = read_settings(["SECRET_KEY", "DEBUG", "GEOCODER_API_KEY", "SPEECH", "STORAGES"], {}, tmp_path)["values"]
    assert seen["DEBUG"] is True  # the only configuration that has a built-in key
    assert "insecure" in seen["SECRET_KEY"] and "dev" in seen["SECRET_KEY"]
    assert seen["GEOCODER_API_KEY"] == ""
    assert seen["SPEECH"]["hf_token"] is None
    assert "OPTIONS" not in seen["STORAGES"]["default"]  # local files, no credentials


# --- audio is never public ------------------------------------------------------------------


def test_it_never_routes_the_media_url(db, client, media_root):
    chunk, enrollment = ChunkFactory(), EnrollmentFactory()
    owner_client = client.__class__()
    owner_client.force_login(chunk.user)
    for stored in (chunk.audio, enrollment.audio):
        assert (media_root / stored.name).is_file()
        url = settings.MEDIA_URL + stored.name
        with pytest.raises(Resolver404):
            resolve(url)
        assert client.get(url).status_code == 404
        assert owner_client.get(url).status_code == 404
        assert owner_client.get(stored.url).status_code == 404
    assert not [route.template for route in project_routes() if route.callback is serve]


def test_it_stores_audio_readable_by_the_service_user_only(api, media_root):
    response = api.post(
        "/api/v1/chunks/",
        {"audio": SimpleUploadedFile("a.wav", wav_bytes(1.0)), "device_id": "p", "start_ts": "2024-05-01T09:30:00Z"},
        format="multipart",
    )
    assert response.status_code == 202
    [path] = [p for p in media_root.rglob("*") if p.is_file()]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_it_keeps_s3_objects_private_and_hands_out_signed_expiring_urls(tmp_path):
    env = {
        "S3_BUCKET": "speaker-audio",
        "S3_REGION": "eu-west-1",
        "S3_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "S3_SECRET_ACCESS_KEY": "s3-secret",
    }
    url_of_a_chunk = (
        "from django.core.files.storage import default_storage; more = default_storage.url('chunks/1/a.wav')"
    )
    seen = read_settings(["STORAGES", "MEDIA_URL"], env, tmp_path, extra=url_of_a_chunk)
    options = seen["values"]["STORAGES"]["default"]["OPTIONS"]
    assert seen["values"]["STORAGES"]["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert options["default_acl"] == "private"
    assert options["querystring_auth"] is True
    assert options["querystring_expire"] == 300
    assert options["custom_domain"] is None
    assert options["file_overwrite"] is False
    url = seen["more"]
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=300" in url, url


def test_a_postgresql_database_that_does_not_answer_fails_a_connection_in_seconds(tmp_path):
    # found by the chaos suite: a partitioned (black-holed) PostgreSQL hung requests without limit
    url = {"DATABASE_URL": "postgres://app@db.internal:5432/app"}
    databases = read_settings(["DATABASES"], url, tmp_path)["values"]["DATABASES"]
    assert databases["default"]["OPTIONS"]["connect_timeout"] == 5
    databases = read_settings(["DATABASES"], {**url, "DB_CONNECT_TIMEOUT_S": "2"}, tmp_path)["values"]["DATABASES"]
    assert databases["default"]["OPTIONS"]["connect_timeout"] == 2
    sqlite = read_settings(["DATABASES"], {}, tmp_path)["values"]["DATABASES"]
    assert "connect_timeout" not in sqlite["default"].get("OPTIONS", {})
