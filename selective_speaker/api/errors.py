"""One error body for every API failure.

    {"error": {"code": "invalid", "message": "audio: the file is empty",
               "fields": {"audio": ["the file is empty"]}}}

Services raise Django's ValidationError (field-level messages kept), `UploadTooLarge` (413) and
`StorageUnavailable` (503, retryable); a database outage (OperationalError) answers 503 as well;
DRF's own exceptions keep their status codes.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import Http404
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from selective_speaker.audio_files import StorageUnavailable, UploadTooLarge

log = logging.getLogger(__name__)


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The upload is too large."
    default_code = "upload_too_large"


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The service is temporarily unavailable; try again later."
    default_code = "unavailable"


@extend_schema_serializer(component_name="ErrorDetail")
class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)


@extend_schema_serializer(component_name="Error")
class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx/5xx answer (for the OpenAPI schema)."""

    error = ErrorDetailSerializer()


def exception_handler(exc: Exception, context: dict):
    exc = _as_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: Django's 500 handling and logging take over
    if isinstance(exc, exceptions.ValidationError):
        body = _validation_body(exc.detail)
    else:
        codes = exc.get_codes()
        body = {"code": codes if isinstance(codes, str) else exc.default_code, "message": str(exc.detail)}
    if isinstance(exc, ServiceUnavailable):
        response["Retry-After"] = "30"
    response.data = {"error": body}
    return response


def _as_api_exception(exc: Exception) -> Exception:
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(detail=serializers.as_serializer_error(exc))
    if isinstance(exc, UploadTooLarge):
        return PayloadTooLarge(detail=str(exc))
    if isinstance(exc, StorageUnavailable):
        return ServiceUnavailable(detail="the file store is unavailable; nothing was kept, try again later")
    if isinstance(exc, OperationalError):
        # Down, restarting or failing over: not a bug in the request, which the client may repeat.
        log.error("the database is unavailable", exc_info=exc)
        return ServiceUnavailable(detail="the database is unavailable; try again later")
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    return exc


def _validation_body(detail) -> dict:
    non_field_key = api_settings.NON_FIELD_ERRORS_KEY
    fields: dict[str, list[str]] = {}
    general: list[str] = []
    if isinstance(detail, dict):
        for name, messages in _flatten(detail):
            if name == non_field_key:
                general += messages
            else:
                fields[name] = messages
    else:
        general = [str(m) for m in (detail if isinstance(detail, list) else [detail])]
    parts = general + [f"{name}: {messages[0]}" for name, messages in fields.items()]
    body = {"code": "invalid", "message": "; ".join(parts) or "Invalid input."}
    if fields:
        body["fields"] = fields
    return body


def _flatten(detail: dict, prefix: str = ""):
    """(dotted field name, [messages]) pairs of a possibly nested DRF error dict."""
    for key, value in detail.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, f"{name}.")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for index, item in enumerate(value):
                yield from _flatten(item, f"{name}.{index}.")
        elif isinstance(value, list):
            yield name, [str(m) for m in value]
        else:
            yield name, [str(value)]
