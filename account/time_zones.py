"""The time zones an owner may choose: the IANA names this system's tz database knows
(zoneinfo.available_timezones), read once per process."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from django.core.exceptions import ValidationError

TIME_ZONE_MAX_LENGTH = 64  # the longest IANA name is 32 characters


@lru_cache(maxsize=1)
def time_zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def time_zone_validator(value: str) -> None:
    if value not in time_zone_names():
        raise ValidationError(
            "“%(value)s” is not a time zone we know. Pick one from the list: a region and a city, "
            "such as Europe/Berlin or America/New_York.",
            code="invalid_time_zone",
            params={"value": value},
        )


def time_zone_info(name: str) -> ZoneInfo | None:
    """The zone called `name`, or None for "" or an unknown name (never raises)."""
    if name not in time_zone_names():
        return None
    return ZoneInfo(name)
