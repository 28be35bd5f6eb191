"""Listings and client JSON for tests, with sensible defaults to override."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fedishare.core.listing import Listing, Place

START = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
OAK = "https://oak.example"


def listing(**fields: Any) -> Listing:
    n = fields.pop("n", 1)
    values: dict[str, Any] = {
        "id": f"{OAK}/listings/{n}",
        "author": f"{OAK}/users/alice",
        "origin": "local",
        "purpose": "offer",
        "kind": "give",
        "status": "open",
        "title": "Blue one-speed bike",
        "description": "15 years old, some rust, rides fine.",
        "place": Place("Oakfield", 51.5, -0.12, 1.0),
        "published": START,
        "updated": START,
        "expires": START + timedelta(days=90),
        "end": START + timedelta(days=90),
        "audience": f"{OAK}/users/community",
    }
    values.update(fields)
    if "expires" in fields and "end" not in fields and values["kind"] != "stay":
        values["end"] = values["expires"]
    return Listing(**values)


def stay_offer(**fields: Any) -> Listing:
    base: dict[str, Any] = {
        "kind": "stay",
        "title": "Spare room near the park",
        "description": "A quiet room with a single bed.",
        "start": START + timedelta(days=30),
        "end": START + timedelta(days=40),
        "expires": START + timedelta(days=40),
        "capacity": 2,
        "house_rules": "No smoking.",
        "visibility": "unlisted",
    }
    return listing(**(base | fields))


def draft(**fields: Any) -> dict[str, Any]:
    """A client's JSON for a gift; None values remove a key."""
    data: dict[str, Any] = {
        "kind": "give",
        "title": "Blue one-speed bike",
        "description": "15 years old, some rust, rides fine.",
        "place": {"name": "Oakfield", "latitude": 51.5012, "longitude": -0.1234},
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def stay_draft(**fields: Any) -> dict[str, Any]:
    base = {
        "kind": "stay",
        "purpose": "offer",
        "title": "Spare room",
        "start": "2026-06-01",
        "end": "2026-06-10",
        "capacity": 2,
    }
    return draft(**(base | fields))
