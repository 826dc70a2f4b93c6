"""The time zones an owner may choose (account/time_zones.py)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from account.time_zones import time_zone_info, time_zone_names, time_zone_validator


def test_it_knows_the_iana_zones():
    assert {"Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"} <= time_zone_names()


@pytest.mark.parametrize("name", ["Mars/Olympus", "europe/berlin", "", "Europe/Berlin ", "../etc/passwd"])
def test_it_refuses_anything_else_with_a_readable_error(name):
    with pytest.raises(ValidationError) as error:
        time_zone_validator(name)
    assert "is not a time zone we know" in error.value.messages[0]


def test_it_gives_the_zone_or_none():
    assert time_zone_info("Europe/Berlin") == ZoneInfo("Europe/Berlin")
    assert time_zone_info("") is None and time_zone_info("Mars/Olympus") is None
