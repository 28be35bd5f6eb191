"""Deciding between ActivityStreams JSON and HTML from the Accept header."""

from __future__ import annotations

from starlette.requests import Request

_AS_TYPES = ("application/activity+json", "application/ld+json")


def wants_activity_json(request: Request) -> bool:
    """True for the ActivityStreams media types (the ld+json profile included) and plain JSON;
    browsers, which ask for text/html, get the page."""
    accept = request.headers.get("accept", "").lower()
    for part in accept.split(","):
        media = part.split(";")[0].strip()
        if media in _AS_TYPES or media == "application/json":
            return True
    return False
