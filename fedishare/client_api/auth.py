"""Who is calling the client API: the token in `Authorization: Bearer`, its app, member and
scopes. Mastodon answers a missing or unknown token with 401 and a scope the token lacks
with 403; so does fedishare. The checks are `fedishare.http.auth`'s, shared with the
outbox and the JSON API; the client API's modules take them from here."""

from __future__ import annotations

from fedishare.http.auth import (
    Caller,
    bearer_token,
    caller,
    optional_member,
    require_member,
)

__all__ = ["Caller", "bearer_token", "caller", "optional_member", "require_member"]
