"""utterances.export: a day or a conversation as plain text, Markdown, SRT and WebVTT (exact
formats: cue numbering, HH:MM:SS,mmm and HH:MM:SS.mmm, blank lines, escaping)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from tests.factories import T0
from utterances.conversations import Conversation, OthersSpoke
from utterances.export import (
    EXPORT_FORMATS,
    conversations_export,
    cue_time,
    export_filename,
    export_markdown,
    export_srt,
    export_text,
    export_vtt,
    markdown_escape,
)


def said(id, start_s, end_s, text, *, device="phone", place=""):
    return SimpleNamespace(
        id=id,
        text=text,
        start_ts=T0 + timedelta(seconds=start_s),
        end_ts=T0 + timedelta(seconds=end_s),
        start_ms=0,
        end_ms=round((end_s - start_s) * 1000),
        device_id=device,
        chunk=SimpleNamespace(location=SimpleNamespace(address=place) if place else None, gps_lat=None, gps_lon=None),
    )


@pytest.fixture
def conversations():
    morning = Conversation(
        [said(1, 0, 2.5, "Good morning.", place="Home"), said(2, 7.25, 9, "Coffee?  Yes\nplease")],
        others=[OthersSpoke(after=1, ms=3000)],
    )
    later = Conversation([said(3, 3723.004, 3725.5, "A <b>bold</b> & --> move", device="watch")])
    return [morning, later]


def test_cue_times_are_exact_and_never_negative():
    assert cue_time(timedelta(hours=1, minutes=2, seconds=3.004), ",") == "01:02:03,004"
    assert cue_time(timedelta(milliseconds=999.6), ".") == "00:00:01.000"
    assert cue_time(timedelta(hours=25), ",") == "25:00:00,000"
    assert cue_time(timedelta(seconds=-1), ".") == "00:00:00.000"


def test_srt(conversations):
    assert export_srt(conversations) == (
        "1\n00:00:00,000 --> 00:00:02,500\nGood morning.\n"
        "\n"
        "2\n00:00:07,250 --> 00:00:09,000\nCoffee? Yes please\n"
        "\n"
        "3\n01:02:03,004 --> 01:02:05,500\nA <b>bold</b> & --> move\n"
    )


def test_vtt(conversations):
    assert export_vtt(conversations, title="Wednesday 1 May 2024") == (
        "WEBVTT - Wednesday 1 May 2024\n"
        "\n"
        "00:00:00.000 --> 00:00:02.500\nGood morning.\n"
        "\n"
        "00:00:07.250 --> 00:00:09.000\nCoffee? Yes please\n"
        "\n"
        "01:02:03.004 --> 01:02:05.500\nA &lt;b&gt;bold&lt;/b&gt; &amp; --&gt; move\n"
    )
    assert export_vtt([]) == "WEBVTT\n"


def test_plain_text_has_clock_times_places_devices_and_others(conversations, settings):
    settings.TIME_ZONE = "Europe/Paris"  # UTC+2 in May
    assert export_text(conversations, title="Wednesday 1 May 2024") == (
        "Wednesday 1 May 2024\n"
        "====================\n"
        "\n"
        "Conversation 11:00 (9 s) · Home · phone\n"
        "\n"
        "[11:00:00] Good morning.\n"
        "           (others spoke here: 3 s)\n"
        "[11:00:07] Coffee? Yes please\n"
        "\n"
        "Conversation 12:02 (2 s) · watch\n"
        "\n"
        "[12:02:03] A <b>bold</b> & --> move\n"
    )


def test_markdown_escapes_the_owners_words(conversations):
    text = export_markdown(conversations, title="1 May")
    assert text.splitlines()[:6] == [
        "# 1 May",
        "",
        "## 09:00 (9 s) · Home · phone",
        "",
        "- **09:00:00** Good morning.",
        "- *others spoke here: 3 s*",
    ]
    assert "- **10:02:03** A \\<b\\>bold\\</b\\> & --\\> move" in text
    assert markdown_escape("*not* _em_ [link](x) `code` a|b") == "\\*not\\* \\_em\\_ \\[link\\](x) \\`code\\` a\\|b"


def test_every_format_has_a_media_type_and_a_file_name(conversations):
    for format, (media_type, extension) in EXPORT_FORMATS.items():
        assert conversations_export(conversations, format=format, title="t")
        assert media_type.endswith("charset=utf-8")
        assert export_filename("day-2024-05-01", format) == f"day-2024-05-01.{extension}"
    with pytest.raises(KeyError):
        conversations_export(conversations, format="pdf", title="t")
