"""How the apps' admin pages show stored values: audit JSON, milliseconds, counts in messages."""

from __future__ import annotations

import json
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString


def pretty_json(value: Any) -> SafeString | None:
    """A JSON value indented in a <pre> block (escaped); None, shown as the empty value, when
    there is nothing to show."""
    if value in (None, {}, []):
        return None
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return format_html('<pre style="margin: 0; white-space: pre-wrap">{}</pre>', text)


def seconds(milliseconds: int | None) -> float | None:
    """Milliseconds as seconds with one decimal, for list columns."""
    return None if milliseconds is None else round(milliseconds / 1000, 1)


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """'1 chunk', '3 chunks'."""
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"
