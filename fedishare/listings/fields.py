"""Reading loosely typed ActivityStreams JSON: a value may be a string, an object or a list,
and any field may be missing or of the wrong type. Each reader returns None (or empty) for
what it cannot read, never raises."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, cast

from fedishare.core.listing import Purpose
from fedishare.core.types import JSON
from fedishare.listings.sanitize import html_to_text
from fedishare.listings.validation import is_blurhash, is_side, parse_time

MAX_TITLE = 200
MAX_TEXT = 20_000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
VF_PREFIXES = (
    "ValueFlows:",
    "vf:",
    "https://w3id.org/valueflows/ont/vf#",
    "https://w3id.org/valueflows#",
)


def plain_type(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    for prefix in VF_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def as_dict(value: Any) -> JSON | None:
    return value if isinstance(value, dict) else None


def first_dict(value: Any) -> JSON | None:
    return next((v for v in as_list(value) if isinstance(v, dict)), None)


def ref(value: Any, key: str = "id") -> str | None:
    for item in as_list(value):
        if isinstance(item, str):
            return item
        if isinstance(item, dict) and isinstance(item.get(key), str):
            return cast(str, item[key])
    return None


def is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def purpose(value: Any) -> Purpose | None:
    return cast(Purpose, value) if value in ("offer", "request") else None


def time(value: Any) -> datetime | None:
    return parse_time(value) if isinstance(value, str) else None


def positive_int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return None
    return min(value, 1000)


def dimension(value: Any) -> int | None:
    """A width or height in pixels, when it is a plausible one."""
    return value if is_side(value) else None


def blurhash(value: Any) -> str | None:
    return value if is_blurhash(value) else None


def unit(quantity: JSON | None) -> str | None:
    unit = quantity.get("hasUnit") if quantity else None
    if isinstance(unit, dict):  # Bonfire: {label, symbol}
        unit = unit.get("label") or unit.get("symbol")
    return unit if isinstance(unit, str) else None


def amount(quantity: JSON | None) -> float | None:
    value: Any = quantity.get("hasNumericalValue") if quantity else None
    if isinstance(value, str):
        try:
            value = float(value.replace(",", "."))
        except ValueError:
            return None
    if not is_number(value) or not 0 <= value < float("inf"):
        return None
    return float(value)


def text(value: Any) -> str:
    """Plain text from a field that may hold HTML (cleaned first) or plain text."""
    if not isinstance(value, str):
        return ""
    return html_to_text(value)[:MAX_TEXT] if "<" in value else plain(value)


def plain(value: Any) -> str:
    """A field that is plain text by definition: kept as text, never parsed as HTML."""
    if not isinstance(value, str):
        return ""
    return _CONTROL.sub("", value.replace("\r\n", "\n")).strip()[:MAX_TEXT]


def line(value: Any) -> str:
    text = " ".join(plain(value).split())
    return text if len(text) <= MAX_TITLE else text[: MAX_TITLE - 1] + "…"
