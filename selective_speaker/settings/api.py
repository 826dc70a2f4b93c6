"""Django settings: the JSON API (DRF, OpenAPI) and logging."""

from __future__ import annotations

from selective_speaker.env import env_int, env_list, env_str

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
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "selective_speaker.request_id.RequestIdFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO"), "propagate": False},
        "django-q": {"handlers": ["console"], "level": env_str("Q_LOG_LEVEL", "INFO"), "propagate": False},
    },
}
