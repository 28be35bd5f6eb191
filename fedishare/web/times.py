"""How the account and admin pages show a moment (stored as a unix timestamp)."""

from __future__ import annotations

from datetime import UTC, datetime


def when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")
