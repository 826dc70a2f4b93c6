"""Serializer fields with stricter rules than DRF's defaults."""

from __future__ import annotations

import math

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 date-time that must carry its UTC offset: a device's clock is never guessed."""

    default_error_messages = {
        "naive": "Include a timezone (e.g. 2024-05-01T09:30:00Z or +02:00).",
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and timezone.is_naive(parsed):
                self.fail("naive")
        return super().to_internal_value(value)


class FiniteFloatField(serializers.FloatField):
    """A float that is a number: DRF's FloatField lets "nan" through its range checks."""

    default_error_messages = {"finite": "A finite number is required."}

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("finite")
        return value
