"""Mastodon's scope vocabulary: the top-level scopes and their sub-scopes, as tokens record
them. What a scope grants is `fedishare.oauth.scopes`'s to say; this is here, at the
bottom, so that storage can issue a token of every scope without importing oauth."""

from __future__ import annotations

TOP = ("read", "write", "follow", "push", "profile")
SUB: dict[str, tuple[str, ...]] = {
    "read": (
        "accounts",
        "blocks",
        "bookmarks",
        "favourites",
        "filters",
        "follows",
        "lists",
        "mutes",
        "notifications",
        "search",
        "statuses",
    ),
    "write": (
        "accounts",
        "blocks",
        "bookmarks",
        "conversations",
        "favourites",
        "filters",
        "follows",
        "lists",
        "media",
        "mutes",
        "notifications",
        "reports",
        "statuses",
    ),
}
ALL: tuple[str, ...] = TOP + tuple(f"{top}:{sub}" for top, subs in SUB.items() for sub in subs)
