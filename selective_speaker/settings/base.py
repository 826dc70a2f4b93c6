"""Django settings, the base: the core, database, cache, auth, security, files and retention.

The embedded default needs no services: SQLite in var/, the django-q2 ORM broker, files under
var/media, the bundled CPU models in var/models and an offline geocoder. Production sets
DATABASE_URL, REDIS_URL, S3_BUCKET, GEOCODER and the SECURE_* values (.env.example lists all).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url

from selective_speaker.env import env_bool, env_choice, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parents[2]


# --- core ---------------------------------------------------------------------------------

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-dev-only-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc as static files: /api/docs/ needs no CDN
    "django_q",
    "corsheaders",  # CORS for the API: CORS_ALLOWED_ORIGINS
    "axes",  # login lockout: failed sign-ins per account and per address (account/lockout.py)
    "selective_speaker",  # shared job machinery: writes JOB_SCHEDULES after every migrate
    # Our apps, lowest first: an app imports only apps above it in this list (tests/test_architecture.py).
    "enrollment",  # the owner's voice: enrollments, voiceprints, voice samples, uncertain decisions
    "utterances",  # what the owner said: the kept utterances, the timeline query and API
    "chunks",  # recordings: upload, the processing job, places, retention
    "review",  # staff review of uncertain voice decisions (admin)
    "account",  # the owner's data rights: export, erase, API tokens
    "operations",  # what an operator runs and watches: status, check_services, init_storage, /metrics
    "webhooks",  # signed outgoing webhooks: listens to chunks' and utterances' signals (layer 4)
    "pages",  # the owner's HTML pages: timeline, enroll, account
]

MIDDLEWARE = [
    "selective_speaker.request_id.RequestIdMiddleware",  # first: every answer carries X-Request-ID
    # as high as it can be (django-cors-headers): before anything that answers by itself (413, CommonMiddleware)
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # before anything reads a body: over the path's limit by Content-Length → 413, unread
    "selective_speaker.request_limits.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "account.middleware.OwnerTimeZoneMiddleware",  # pages in the owner's time zone (the API stays UTC)
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login form into the lockout page
]

ROOT_URLCONF = "selective_speaker.urls"
WSGI_APPLICATION = "selective_speaker.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pages.context_processors.limits",
                "pages.context_processors.time_zone",
            ],
        },
    },
]

# --- database -----------------------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            # keep a connection open between requests (a new one costs ≈10 ms per request);
            # the health check replaces one the server has closed meanwhile
            conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
            conn_health_checks=env_bool("DB_CONN_HEALTH_CHECKS", True),
        )
    }
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # a database that does not answer at all (a partition, not a refusal) fails the request
        # within this many seconds — 503 + Retry-After — instead of hanging it
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", env_int("DB_CONNECT_TIMEOUT_S", 5))
else:
    # SQLite opens its file but never makes its folder: `migrate` on a fresh checkout (no `make`)
    # would fail with "unable to open database file" (tests/test_settings.py)
    try:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"VAR_DIR {VAR_DIR} cannot be created ({exc.strerror}): set VAR_DIR to a writable folder, or DATABASE_URL"
        ) from exc
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": {
                # The web server and the worker share the file: wait for locks, write-ahead log.
                "timeout": env_int("SQLITE_TIMEOUT_S", 20),
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache (throttling, django-q2 statistics) ---------------------------------------------

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:  # Redis down: each process's memory, Redis asked again after a while (selective_speaker/cache.py)
    CACHES = {"default": {"BACKEND": "selective_speaker.cache.RedisCacheWithFallback", "LOCATION": REDIS_URL}}
    CACHES["default"]["FALLBACK_RETRY_S"] = env_float("CACHE_FALLBACK_RETRY_S", 10.0)
    CACHES["default"]["OPTIONS"] = {"socket_timeout": env_float("REDIS_CACHE_TIMEOUT_S", 0.5)}  # connect, each call
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- auth, i18n ---------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = env_str("LOGIN_URL", "/accounts/login/")
LOGIN_REDIRECT_URL = env_str("LOGIN_REDIRECT_URL", "/")
LOGOUT_REDIRECT_URL = env_str("LOGOUT_REDIRECT_URL", LOGIN_URL)

# Login lockout (django-axes, account/lockout.py, .env.example): failed sign-ins on the site's and the admin's forms
# and the API token endpoint count together, in the database (outlives Redis outages; staff lift locks in the admin).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15)) or None
AXES_LOCKOUT_PARAMETERS = [counter.split("+") for counter in env_list("LOGIN_LOCKOUT_BY", "username,ip_address")]
if not AXES_LOCKOUT_PARAMETERS or {part for c in AXES_LOCKOUT_PARAMETERS for part in c} - {"username", "ip_address"}:
    raise ValueError("LOGIN_LOCKOUT_BY: comma-separated counters, each username, ip_address or username+ip_address")
AXES_CLIENT_IP_CALLABLE = "selective_speaker.api.throttling.client_address"  # as the throttles: API_NUM_PROXIES
AXES_LOCKOUT_CALLABLE = "account.lockout.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # every failure, for the admin

LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en-us")
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- security (production toggles; defaults are safe once DEBUG is off) -------------------

SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_REDIRECT_EXEMPT = [r"^health$"]
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"

# CORS (django-cors-headers): web apps at these origins may call the API from a browser, with an
# API token (no cookies). Empty: no CORS headers at all. Only /api/ paths ever get them.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_CREDENTIALS = False
CORS_EXPOSE_HEADERS = ["X-Request-ID", "Retry-After"]

# --- static and uploaded files ------------------------------------------------------------

STATIC_URL = env_str("STATIC_URL", "/static/")
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
# Never routed: audio is private and is only read back by the worker through the storage API.
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))

S3_BUCKET = env_str("S3_BUCKET")
if S3_BUCKET:
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env_str("S3_ENDPOINT_URL") or None,
            "region_name": env_str("S3_REGION") or None,
            "access_key": env_str("S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("S3_SECRET_ACCESS_KEY") or None,
            "location": env_str("S3_PREFIX"),
            "addressing_style": env_str("S3_ADDRESSING_STYLE") or None,
            "custom_domain": None,
            "querystring_auth": True,
            "querystring_expire": env_int("S3_URL_EXPIRE_S", 300),
            "signature_version": "s3v4",  # SigV2 is deprecated and refused by newer regions
            "default_acl": "private",
            # A concurrent duplicate upload must never overwrite (then delete) another's object.
            "file_overwrite": False,
        },
    }
else:
    # location and base URL follow MEDIA_ROOT / MEDIA_URL; Django's, minus part-written files
    DEFAULT_STORAGE = {"BACKEND": "selective_speaker.storage.FileSystemStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Uploads: bigger than MAX_UPLOAD_MB → 413; longer than the limits → 400 on `audio`.
MAX_UPLOAD_MB = env_int("MAX_UPLOAD_MB", 100)
MAX_CHUNK_SECONDS = env_int("MAX_CHUNK_SECONDS", 15 * 60)
MAX_ENROLL_SECONDS = env_int("MAX_ENROLL_SECONDS", 120)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)
# A body without files (form, JSON): bigger answers 413 by its Content-Length, before it is read
# (selective_speaker/request_limits.py; the upload routes take MAX_UPLOAD_MB instead).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# --- privacy: how long raw audio is kept --------------------------------------------------
# keep: until the owner deletes it | processed: deleted once its chunk is done | days: deleted
# CHUNK_AUDIO_RETENTION_DAYS after upload by a scheduled sweep. Segments are kept either way;
# a chunk without audio can no longer be replayed or reprocessed.
CHUNK_AUDIO_RETENTION = env_choice("CHUNK_AUDIO_RETENTION", "keep", ("keep", "processed", "days"))
CHUNK_AUDIO_RETENTION_DAYS = env_int("CHUNK_AUDIO_RETENTION_DAYS", 30)
# keep | drop: drop deletes an enrollment's recording once its voiceprint is computed (the
# anchored strategy needs the recording, so it cannot be combined with drop).
ENROLLMENT_AUDIO_RETENTION = env_choice("ENROLLMENT_AUDIO_RETENTION", "keep", ("keep", "drop"))
