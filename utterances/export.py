"""A day or a conversation as a document: plain text, Markdown, SRT or WebVTT.

Pure functions over conversations (utterances.conversations): the page's download links and the
API's export run the same code. Text and Markdown show local clock times (the active time zone)
and each conversation's place, devices and "others spoke" markers (durations only, never words).
SRT and WebVTT are subtitles of the owner's words: cue times run from the first exported
utterance's start (00:00:00), silences kept, so a day's file stays in step with the clock.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from django.utils import timezone

from utterances.conversations import Conversation, OthersSpoke, spoken_duration

EXPORT_FORMATS = {
    # format: (media type, file extension)
    "txt": ("text/plain; charset=utf-8", "txt"),
    "md": ("text/markdown; charset=utf-8", "md"),
    "srt": ("application/x-subrip; charset=utf-8", "srt"),
    "vtt": ("text/vtt; charset=utf-8", "vtt"),
}


def _clock(ts: datetime, seconds: bool = True) -> str:
    return timezone.localtime(ts).strftime("%H:%M:%S" if seconds else "%H:%M")


def conversation_heading(conversation: Conversation) -> str:
    """"09:30–09:42 (12 min) · Home · phone-1, pendant-1"."""
    start, end = _clock(conversation.start_ts, False), _clock(conversation.end_ts, False)
    span = start if start == end else f"{start}–{end}"  # one minute: one time
    parts = [f"{span} ({spoken_duration(conversation.duration_ms)})"]
    if conversation.place:
        parts.append(conversation.place)
    parts.append(", ".join(conversation.device_ids))
    return " · ".join(parts)


def others_line(marker: OthersSpoke) -> str:
    return f"others spoke here: {spoken_duration(marker.ms)}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def export_text(conversations: Sequence[Conversation], *, title: str) -> str:
    lines = [title, "=" * len(title), ""]
    for conversation in conversations:
        lines += [f"Conversation {conversation_heading(conversation)}", ""]
        for item in conversation.items():
            if isinstance(item, OthersSpoke):
                lines.append(f"           ({others_line(item)})")
            else:
                lines.append(f"[{_clock(item.start_ts)}] {_one_line(item.text)}")
        lines.append("")
    return "\n".join(lines)


# Every line starts with "#", "##" or "- ", so only inline markup needs escaping.
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def markdown_escape(text: str) -> str:
    """Text that Markdown renders as it is (no emphasis, code, links or HTML from it)."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", _one_line(text))


def export_markdown(conversations: Sequence[Conversation], *, title: str) -> str:
    lines = [f"# {markdown_escape(title)}", ""]
    for conversation in conversations:
        lines += [f"## {markdown_escape(conversation_heading(conversation))}", ""]
        for item in conversation.items():
            if isinstance(item, OthersSpoke):
                lines.append(f"- *{markdown_escape(others_line(item))}*")
            else:
                lines.append(f"- **{_clock(item.start_ts)}** {markdown_escape(item.text)}")
        lines.append("")
    return "\n".join(lines)


def cue_time(offset: timedelta, separator: str) -> str:
    """HH:MM:SS<separator>mmm of a non-negative offset (SRT: ",", WebVTT: ".")."""
    ms = max(0, round(offset.total_seconds() * 1000))
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    seconds, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{ms:03d}"


def _cues(conversations: Sequence[Conversation]) -> list[tuple[timedelta, timedelta, str]]:
    utterances = sorted((u for c in conversations for u in c.utterances), key=lambda u: (u.start_ts, u.id))
    if not utterances:
        return []
    origin = utterances[0].start_ts
    return [(u.start_ts - origin, u.end_ts - origin, _one_line(u.text)) for u in utterances]


def export_srt(conversations: Sequence[Conversation], *, title: str = "") -> str:
    blocks = [
        f"{number}\n{cue_time(start, ',')} --> {cue_time(end, ',')}\n{text}\n"
        for number, (start, end, text) in enumerate(_cues(conversations), start=1)
    ]
    return "\n".join(blocks)


def vtt_escape(text: str) -> str:
    """Cue text as WebVTT reads it: & and < as entities, and never an arrow "-->"."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def export_vtt(conversations: Sequence[Conversation], *, title: str = "") -> str:
    header = "WEBVTT" + (f" - {_one_line(title).replace('-->', '->')}" if title else "") + "\n"
    blocks = [
        f"{cue_time(start, '.')} --> {cue_time(end, '.')}\n{vtt_escape(text)}\n"
        for start, end, text in _cues(conversations)
    ]
    return "\n".join([header, *blocks])


EXPORTERS: dict[str, Callable[..., str]] = {
    "txt": export_text,
    "md": export_markdown,
    "srt": export_srt,
    "vtt": export_vtt,
}


def conversations_export(conversations: Sequence[Conversation], *, format: str, title: str) -> str:
    """The document in `format` (a key of EXPORT_FORMATS; KeyError otherwise)."""
    return EXPORTERS[format](conversations, title=title)


def export_filename(stem: str, format: str) -> str:
    return f"{stem}.{EXPORT_FORMATS[format][1]}"
