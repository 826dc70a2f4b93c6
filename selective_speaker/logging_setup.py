"""The logging configuration (settings.LOGGING): one console handler, in one of two formats.

- `text` (the default, for a developer's terminal): `time LEVEL logger [request id]: message`.
- `json` (production, for a log shipper): one JSON object per line with `time`, `level`,
  `logger`, `message`, `request_id`, and `exc_info` when there is a traceback; values passed
  with `extra=` become fields of their own.

Every line carries the request id (selective_speaker.request_id): the web request's, or in a
worker the id of the request that queued the job ("-" for neither).
"""

from __future__ import annotations

LOG_FORMATS = ("text", "json")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
JSON_FIELDS = ["asctime", "levelname", "name", "request_id", "message"]
JSON_RENAMED = {"asctime": "time", "levelname": "level", "name": "logger"}


def logging_config(*, log_format: str, level: str, django_level: str, q_level: str) -> dict:
    """The dictConfig for `log_format` ("text" or "json")."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}")
    formatters = {
        "text": {"format": TEXT_FORMAT},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": JSON_RENAMED,
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
        },
    }
    handler = {"class": "logging.StreamHandler", "formatter": log_format, "filters": ["request_id"]}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "selective_speaker.request_id.RequestIdFilter"}},
        "formatters": {log_format: formatters[log_format]},
        "handlers": {"console": handler},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django": {"handlers": ["console"], "level": django_level, "propagate": False},
            "django-q": {"handlers": ["console"], "level": q_level, "propagate": False},
        },
    }
