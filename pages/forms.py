"""The owner pages' forms: the timeline's query string (which day, which device, what to search
for), the enrollment upload, and the typed confirmation before erasing everything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.functional import lazy
from django.utils.text import format_lazy

from account.time_zones import TIME_ZONE_MAX_LENGTH, time_zone_validator
from pages.context_processors import enroll_limits
from pages.local_time import local_midnight
from selective_speaker.validators import device_id_validator

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
        """The day's first instant in the current time zone (the owner's: account.middleware)."""
        return local_midnight(self.day)

    @property
    def until(self) -> datetime:
        return local_midnight(self.day + timedelta(days=1))

    @property
    def previous_day(self) -> date | None:
        return self.day - timedelta(days=1) if self.day > FIRST_DAY else None

    @property
    def next_day(self) -> date | None:
        return self.day + timedelta(days=1) if self.day < min(self.today, LAST_DAY) else None


class TimelineFilterForm(forms.Form):
    day = forms.DateField(
        required=False,
        validators=[MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)],
        input_formats=["%Y-%m-%d"],
        # Rendered beside the previous/next day links, outside the <form> it belongs to. A text
        # field in ISO form (YYYY-MM-DD), not type=date: browsers show a date field in their own
        # locale's order (05/02/2024), which the page's headings and links do not use.
        widget=forms.DateInput(
            attrs={
                "form": "timeline-filters",
                "pattern": r"\d{4}-\d{2}-\d{2}",
                "placeholder": "YYYY-MM-DD",
                "autocomplete": "off",
                "size": 10,
                "title": "A day as YYYY-MM-DD",
            },
            format="%Y-%m-%d",
        ),
        error_messages={"invalid": "Write the day as YYYY-MM-DD, e.g. 2024-05-01."},
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


# --- the owner's time zone ------------------------------------------------------------------


class TimeZoneForm(forms.Form):
    """The zone the pages show times and days in: an IANA name (account.time_zones)."""

    time_zone = forms.CharField(
        max_length=TIME_ZONE_MAX_LENGTH,
        label="Time zone",
        validators=[time_zone_validator],
        help_text="Times, “today” and the days of your timeline follow this zone; the API keeps UTC.",
        widget=forms.TextInput(
            attrs={"list": "time-zones", "autocomplete": "off", "spellcheck": "false", "placeholder": "Europe/Berlin"}
        ),
    )
    # sent by the page's script with the browser's zone: saved only while the owner has none
    detected = forms.BooleanField(required=False, widget=forms.HiddenInput)


# --- enrollment ------------------------------------------------------------------------------

# Phonetically balanced passages to read aloud: Harvard sentences (IEEE 1969, public domain),
# five per passage, 12–20 s at a relaxed pace.
ENROLLMENT_PHRASES = (
    "The birch canoe slid on the smooth planks. Glue the sheet to the dark blue background. "
    "It is easy to tell the depth of a well. These days a chicken leg is a rare dish. "
    "Rice is often served in round bowls.",
    "The juice of lemons makes fine punch. The box was thrown beside the parked truck. "
    "The hogs were fed chopped corn and garbage. Four hours of steady work faced us. "
    "A large size in stockings is hard to sell.",
    "The boy was there when the sun rose. A rod is used to catch pink salmon. "
    "The source of the huge river is the clear spring. Kick the ball straight and follow through. "
    "Help the woman get back to her feet.",
    "A pot of tea helps to pass the evening. Smoky fires lack flame and heat. "
    "The soft cushion broke the man's fall. The salt breeze came across from the sea. "
    "The girl at the booth sold fifty bonds.",
    "The small pup gnawed a hole in the sock. The fish twisted and turned on the bent hook. "
    "Press the pants and sew a button on the vest. The swan dive was far short of perfect. "
    "The beauty of the view stunned the young boy.",
    "Two blue fish swam in the tank. Her purse was full of useless trash. "
    "The colt reared and threw the tall rider. It snowed, rained, and hailed the same morning. "
    "Read verse out loud for pleasure.",
    "Hoist the load to your left shoulder. Take the winding path to reach the lake. "
    "Note closely the size of the gas tank. Wipe the grease off his dirty face. "
    "Mend the coat before you go out.",
    "The stale smell of old beer lingers. It takes heat to bring out the odor. "
    "A cold quart of milk is good for a thirsty man. Every word and phrase he speaks is true. "
    "Add the sum to the product of these three.",
)


class EnrollmentUploadForm(forms.Form):
    """A recording of the owner's voice: from the page's recorder or a file (same form)."""

    audio = forms.FileField(
        label="Recording",
        help_text=format_lazy(
            "{} seconds of you alone; m4a, mp3, wav, ogg, webm or flac.", lazy(lambda: enroll_limits().advised, str)()
        ),
        widget=forms.ClearableFileInput(attrs={"accept": "audio/*,.m4a,.mp3,.wav,.ogg,.oga,.opus,.webm,.flac"}),
    )
    phrase = forms.TypedChoiceField(
        coerce=int,
        required=False,
        empty_value=None,
        choices=[(index, index) for index in range(len(ENROLLMENT_PHRASES))],
        widget=forms.HiddenInput,
    )
    device_id = forms.CharField(
        required=False,
        max_length=64,
        validators=[device_id_validator],
        label="Device",
        help_text=(
            "Record with the phone or pendant you will wear and name it as it uploads (e.g. pendant-1): "
            "its recordings are then judged against your voice as that microphone hears it. "
            "Leave empty for a voiceprint that serves every device without one of its own."
        ),
    )
    read_phrase = forms.BooleanField(
        required=False,
        initial=True,
        label="I read the passage shown above",
        help_text="Untick this if you said something else: the words are then not compared.",
    )

    def phrase_text(self) -> str:
        index = self.cleaned_data.get("phrase")
        if index is None or not self.cleaned_data.get("read_phrase"):
            return ""
        return ENROLLMENT_PHRASES[index]


# --- erasing all of the owner's data ------------------------------------------------------------


class EraseDataForm(forms.Form):
    confirm = forms.CharField(max_length=150, label="Type your username to confirm", strip=True)

    def __init__(self, *args, username: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.username = username
        self.fields["confirm"].widget.attrs.update({"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"})

    def clean_confirm(self) -> str:
        typed = self.cleaned_data["confirm"]
        if typed != self.username:
            raise forms.ValidationError(f"That is not your username. Type {self.username} exactly to erase your data.")
        return typed
