"""Local days and zone names (pages/local_time.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.utils import timezone

from pages.local_time import PageTimeZone, local_day_bounds, page_time_zone, zone_abbreviation


def test_a_local_day_runs_midnight_to_midnight_in_the_zone():
    with timezone.override(ZoneInfo("Europe/Berlin")):
        since, until = local_day_bounds(date(2024, 5, 2))
    assert since == datetime(2024, 5, 1, 22, 0, tzinfo=UTC)
    assert until == datetime(2024, 5, 2, 22, 0, tzinfo=UTC)


def test_days_the_clocks_change_have_23_or_25_hours():
    with timezone.override(ZoneInfo("Europe/Berlin")):
        spring = local_day_bounds(date(2024, 3, 31))
        autumn = local_day_bounds(date(2024, 10, 27))
    assert spring[1] - spring[0] == timezone.timedelta(hours=23)
    assert autumn[1] - autumn[0] == timezone.timedelta(hours=25)


def test_a_midnight_the_clocks_skip_starts_the_day_at_its_first_instant():
    with timezone.override(ZoneInfo("America/Santiago")):  # 2024-09-08: 00:00 → 01:00
        since, until = local_day_bounds(date(2024, 9, 8))
    assert since == datetime(2024, 9, 8, 4, 0, tzinfo=UTC)
    assert until - since == timezone.timedelta(hours=23)


def test_it_names_the_zone_as_clocks_show_it():
    with timezone.override(ZoneInfo("Europe/Berlin")):
        assert zone_abbreviation(datetime(2024, 1, 10, tzinfo=UTC)) == "CET"
        assert zone_abbreviation(datetime(2024, 7, 10, tzinfo=UTC)) == "CEST"
        zone = PageTimeZone(name="Europe/Berlin", chosen=True)
        assert zone.abbreviations(*local_day_bounds(date(2024, 5, 2))) == "CEST"
        assert zone.abbreviations(*local_day_bounds(date(2024, 10, 27))) == "CEST/CET"


def test_the_page_zone_is_the_owners_else_the_servers(settings):
    settings.TIME_ZONE = "UTC"
    assert page_time_zone(SimpleNamespace(owner_time_zone="Asia/Tokyo")) == PageTimeZone("Asia/Tokyo", True)
    assert page_time_zone(SimpleNamespace(owner_time_zone="")) == PageTimeZone("UTC", False)
    assert page_time_zone(SimpleNamespace()) == PageTimeZone("UTC", False)
