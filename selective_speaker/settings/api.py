"""Django settings: the JSON API (DRF, OpenAPI), outgoing webhooks and logging."""

from __future__ import annotations

from selective_speaker.env import env_bool, env_choice, env_float, env_int, env_list, env_str
from selective_speaker.logging_setup import LOG_FORMATS, logging_config

# --- API ----------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "selective_speaker.api.parsers.GuardedJSONParser",  # JSON bounded by API_JSON_MAX_BYTES/_DEPTH
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "selective_speaker.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": env_list(
        "API_THROTTLE_CLASSES",
        "rest_framework.throttling.AnonRateThrottle,rest_framework.throttling.UserRateThrottle,"
        "selective_speaker.api.throttling.IpRateThrottle",
    ),
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "60/minute"),
        "user": env_str("API_THROTTLE_USER", "1200/minute"),
        # every request from one client address, signed in or not
        "ip": env_str("API_THROTTLE_IP", "2400/minute"),
    },
    # Proxies in front of the app that append to X-Forwarded-For: 0 = throttle by REMOTE_ADDR
    # (a client cannot pick its own address with the header).
    "NUM_PROXIES": env_int("API_NUM_PROXIES", 0),
}
API_PAGE_SIZE = env_int("API_PAGE_SIZE", 50)
API_MAX_PAGE_SIZE = env_int("API_MAX_PAGE_SIZE", 200)
# A JSON body bigger than this answers 413, one nested deeper (arrays and objects) answers 400.
API_JSON_MAX_BYTES = env_int("API_JSON_MAX_BYTES", 1024 * 1024)
API_JSON_MAX_DEPTH = env_int("API_JSON_MAX_DEPTH", 32)

# --- outgoing webhooks (webhooks/, docs/webhooks.md) ----------------------------------------

# One attempt gives up after this many seconds; redirects are never followed.
WEBHOOK_TIMEOUT_S = env_float("WEBHOOK_TIMEOUT_S", 5.0)
# A failed attempt is retried after BASE s, then 2×, 4×, … at most MAX s, MAX_ATTEMPTS attempts in all
# (the defaults span about an hour and a half).
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8)
WEBHOOK_RETRY_BASE_S = env_int("WEBHOOK_RETRY_BASE_S", 30)
WEBHOOK_RETRY_MAX_S = env_int("WEBHOOK_RETRY_MAX_S", 1800)
# This many deliveries in a row that ran out of attempts turn the endpoint off (0: never).
WEBHOOK_DISABLE_AFTER_FAILURES = env_int("WEBHOOK_DISABLE_AFTER_FAILURES", 5)
# Endpoints may use http:// (else https only) / private, loopback and link-local addresses
# (else public ones only: a webhook must not reach into the server's own network).
WEBHOOK_ALLOW_HTTP = env_bool("WEBHOOK_ALLOW_HTTP", False)
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False)
WEBHOOK_ENDPOINTS_MAX = env_int("WEBHOOK_ENDPOINTS_MAX", 10)  # per account
# Finished deliveries (and the payloads they logged) are deleted this many days after the event.
WEBHOOK_DELIVERY_LOG_DAYS = env_int("WEBHOOK_DELIVERY_LOG_DAYS", 14)

SPECTACULAR_SETTINGS = {
    "TITLE": "Selective Speaker API",
    "DESCRIPTION": "Owner-only personal transcription: enroll a voice, upload audio chunks, read the timeline.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # The docs pages load Swagger UI and Redoc from our own static files (drf-spectacular-sidecar),
    # never from a CDN: no page of the product makes a request to another origin.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # validatorUrl: Swagger UI would otherwise fetch a badge from validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# --- logging ------------------------------------------------------------------------------

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
# text: a line a developer reads; json: one JSON object per line for a log shipper.
LOG_FORMAT = env_choice("LOG_FORMAT", "text", LOG_FORMATS)
LOGGING = logging_config(
    log_format=LOG_FORMAT,
    level=LOG_LEVEL,
    django_level=env_str("DJANGO_LOG_LEVEL", "INFO"),
    q_level=env_str("Q_LOG_LEVEL", "INFO"),
)
