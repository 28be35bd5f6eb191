"""A page of a Mastodon list: `max_id`, `since_id`, `min_id` and `limit`. Results are always
newest first; `min_id` asks for the page just above an id (walking up), `since_id` for the
newest above it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    limit: int
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None

    @property
    def walks_up(self) -> bool:
        """Whether the page is taken from below (`min_id`): oldest first, then reversed."""
        return self.min_id is not None
