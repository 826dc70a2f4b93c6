"""Local time on the owner's pages: the day's bounds in the time zone in force
(account.middleware puts the owner's zone in force for each page) and how that zone is named.

A local day runs from its midnight to the next one, in the zone's own reckoning: 23 or 25 hours
on the days the clocks change, and a midnight that does not exist (a zone that springs forward at
00:00) is the first instant the day does have."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone


def local_midnight(day: date) -> datetime:
    """The first instant of `day` in the current time zone, in UTC (an instant: Python compares
    and subtracts datetimes of one zone by their wall clocks, which a clock change makes wrong)."""
    zone = timezone.get_current_timezone()
    # fold=0: a midnight skipped by a clock change reads with the offset before it, which is the
    # instant the day starts; a midnight that happens twice starts at its first occurrence
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """[since, until) of `day` in the current time zone."""
    return local_midnight(day), local_midnight(day + timedelta(days=1))


def zone_abbreviation(when: datetime) -> str:
    """The current zone's name at `when` as clocks show it: "CET", "CEST", "UTC", "+03"."""
    return timezone.localtime(when).tzname() or timezone.get_current_timezone_name()


@dataclass(frozen=True)
class PageTimeZone:
    """The zone a page shows its times in, and whether the owner chose it."""

    name: str  # IANA name: the owner's, else the server's TIME_ZONE
    chosen: bool

    def abbreviations(self, since: datetime, until: datetime) -> str:
        """"CET", or "CET/CEST" over a span in which the clocks change."""
        names = [zone_abbreviation(since), zone_abbreviation(until - timedelta(microseconds=1))]
        return names[0] if names[0] == names[1] else "/".join(names)

    @property
    def abbreviation_now(self) -> str:
        return zone_abbreviation(timezone.now())


def page_time_zone(request) -> PageTimeZone:
    chosen = getattr(request, "owner_time_zone", "")
    return PageTimeZone(name=chosen or settings.TIME_ZONE, chosen=bool(chosen))
