"""The timeline page's query string: which day, which device, what to search for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone

# Far enough from date.min/date.max that the day before, the day after and UTC never overflow.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9999, 12, 30)


@dataclass(frozen=True)
class TimelineFilters:
    """What the page shows: one local day, or (with `q`) search results across all days."""

    day: date
    today: date
    device_id: str = ""
    q: str = ""

    @property
    def since(self) -> datetime:
        """The day's first instant in the current time zone (settings.TIME_ZONE)."""
        return _local_midnight(self.day)

    @property
    def until(self) -> datetime:
        return _local_midnight(self.day + timedelta(days=1))

    @property
    def previous_day(self) -> date | None:
        return self.day - timedelta(days=1) if self.day > FIRST_DAY else None

    @property
    def next_day(self) -> date | None:
        return self.day + timedelta(days=1) if self.day < min(self.today, LAST_DAY) else None


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


class TimelineFilterForm(forms.Form):
    day = forms.DateField(
        required=False,
        validators=[MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    device_id = forms.ChoiceField(required=False, label="Device")
    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search all days",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "words you said"}),
    )

    def __init__(self, data, *, device_ids: list[str], today: date):
        data = data.copy()
        if not data.get("day"):
            data["day"] = today.isoformat()
        super().__init__(data)
        self.today = today
        self.fields["device_id"].choices = [("", "All devices")] + [(d, d) for d in device_ids]

    def filters(self) -> TimelineFilters:
        """The valid part of the query; a field with an error falls back to its default."""
        self.is_valid()
        cleaned = self.cleaned_data
        return TimelineFilters(
            day=cleaned.get("day") or self.today,
            today=self.today,
            device_id=cleaned.get("device_id") or "",
            q=cleaned.get("q") or "",
        )
