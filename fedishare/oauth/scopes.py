"""Mastodon's scopes: `read`, `write`, `follow`, `push`, `profile`, and sub-scopes such as
`read:statuses`. A granted top-level scope covers its sub-scopes; `follow` (deprecated by
Mastodon) covers the follow and block sub-scopes of `read` and `write`. The names themselves
are `fedishare.core.scopes`'s (re-exported here)."""

from __future__ import annotations

from collections.abc import Iterable

from fedishare.core.scopes import ALL, SUB, TOP

__all__ = ["ALL", "SUB", "TOP", "ScopeError", "allows", "parse"]

_FOLLOW_COVERS = frozenset(
    {"read:blocks", "read:follows", "read:mutes", "write:blocks", "write:follows", "write:mutes"}
)


class ScopeError(ValueError):
    """A scope that Mastodon does not know."""


def parse(text: str | Iterable[str]) -> frozenset[str]:
    """Scopes from a space-separated text (or its parts); an unknown one is an error."""
    parts = text.split() if isinstance(text, str) else [p for t in text for p in t.split()]
    unknown = [p for p in parts if p not in ALL]
    if unknown:
        raise ScopeError(f"unknown scope {unknown[0]!r}")
    return frozenset(parts)


def allows(granted: frozenset[str], needed: str) -> bool:
    """Whether `granted` covers `needed` (a scope or sub-scope)."""
    if needed in granted:
        return True
    top, _, sub = needed.partition(":")
    if sub and top in granted:
        return True
    return "follow" in granted and needed in _FOLLOW_COVERS
