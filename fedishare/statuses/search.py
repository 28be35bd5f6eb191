"""Search as Mastodon's v2 search does it: accounts, statuses and hashtags for what a member
typed. A handle or a URL is resolved on its server when asked (and allowed); otherwise
accounts are found by the beginning of their names, hashtags by theirs, and statuses among
listings by their words (the board's full-text search)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fedishare.context import Instance
from fedishare.core.activitystreams import host_or_none
from fedishare.federation.actor_document import actor_id
from fedishare.statuses import resolve
from fedishare.statuses.visibility import visible_rows
from fedishare.storage import account_search, actors
from fedishare.storage import statuses as status_index
from fedishare.storage.actors import LocalActor
from fedishare.storage.listing_search import Query
from fedishare.storage.listing_search import search as search_listings
from fedishare.storage.statuses import StatusRow

TYPES = ("accounts", "statuses", "hashtags")


@dataclass
class Found:
    accounts: list[str] = field(default_factory=list)  # actor URIs
    statuses: list[StatusRow] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)


def _wants(kind: str | None, which: str) -> bool:
    return kind is None or kind == which


async def accounts(
    inst: Instance, text: str, *, resolve_remote: bool, limit: int, offset: int = 0
) -> list[str]:
    """Accounts for `text`: a handle's actor (resolved on its server when asked), else ours
    and those we know whose names start with it."""
    query = text.strip().removeprefix("@")
    if not query:
        return []
    if resolve.looks_like_handle(query):
        user, _, host = query.partition("@")
        if host.lower() != inst.config.instance.domain.lower():
            found = await resolve.account(inst, query, resolve=resolve_remote)
            return [] if found is None or offset else [found]
        query = user
    names = await account_search.local_accounts(inst.db, query, limit=limit, offset=offset)
    uris = [inst.urls.actor(name) for name in names]
    if len(uris) < limit:
        rest = await account_search.remote_accounts(
            inst.db, query, limit=limit - len(uris), offset=max(0, offset - len(uris))
        )
        # `remote_accounts` leaves out what `hidden_authors` hides; the policy in memory
        # is asked too, for an actor first stored since the last recompute.
        uris += [uri for uri in rest if resolve.findable(inst, uri)]
    return uris


async def search(
    inst: Instance,
    text: str,
    *,
    kind: str | None,
    resolve_remote: bool,
    limit: int,
    offset: int = 0,
    viewer: LocalActor | None = None,
) -> Found:
    """What `text` finds for `viewer`: only the statuses they may see."""
    reader = None if viewer is None else actor_id(inst.urls, viewer)
    found = await _search(
        inst,
        text,
        kind=kind,
        resolve_remote=resolve_remote,
        limit=limit,
        offset=offset,
        viewer=reader,
    )
    found.statuses = await visible_rows(inst, viewer, found.statuses)
    return found


async def _search(
    inst: Instance,
    text: str,
    *,
    kind: str | None,
    resolve_remote: bool,
    limit: int,
    offset: int,
    viewer: str | None,
) -> Found:
    found = Found()
    text = text.strip()
    if not text:
        return found
    if host_or_none(text) is not None and " " not in text:
        if resolve_remote and offset == 0:
            what = await resolve.url(inst, text)
            if what.account is not None and _wants(kind, "accounts"):
                found.accounts.append(what.account)
            if what.status is not None and _wants(kind, "statuses"):
                found.statuses.append(what.status)
        return found
    if _wants(kind, "accounts"):
        found.accounts = await accounts(
            inst, text, resolve_remote=resolve_remote, limit=limit, offset=offset
        )
    if _wants(kind, "hashtags") and not resolve.looks_like_handle(text.removeprefix("@")):
        tag = text.removeprefix("#")
        found.hashtags = await account_search.hashtags(inst.db, tag, limit=limit, offset=offset)
    if _wants(kind, "statuses") and not text.startswith("@"):
        # The viewer's followers-only listings and those of authors they follow are found
        # too, as on the board.
        query = Query(
            words=text.removeprefix("#"), statuses=(), limit=limit, offset=offset, viewer=viewer
        )
        hits = await search_listings(inst.db, query)
        rows = await status_index.by_uris(inst.db, [hit.listing.id for hit in hits])
        for hit in hits:
            row = rows.get(hit.listing.id)
            if row is not None and not row.deleted:
                found.statuses.append(row)
    return found


async def lookup(inst: Instance, acct: str) -> str | None:
    """The actor URI of `acct` (`user`, `user@ourhost`, or `user@host` of an account we
    know), without asking any other server, as Mastodon's account lookup does."""
    user, _, host = acct.strip().removeprefix("@").partition("@")
    if not user:
        return None
    if host and host.lower() != inst.config.instance.domain.lower():
        found = await account_search.remote_by_handle(inst.db, user, host)
        return found if found is not None and resolve.findable(inst, found) else None
    member = await actors.find_by_username(inst.db, user)
    if member is None or member.kind == "application" or member.disabled:
        return None
    return actor_id(inst.urls, member)
