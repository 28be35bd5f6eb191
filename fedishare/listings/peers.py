"""Peers: other neighbourhoods whose listings this one takes in.

A peer is followed by our community Group: its own community actor then announces every
listing of its members to us (`fedishare.listings.publishing` on its side,
`fedishare.listings.ingest` on ours). The peer's community handle comes from its NodeInfo
(`metadata.community`, "@handle@domain", as ours serves it), else from WebFinger
`acct:community@DOMAIN`; DOMAIN is reached over our own scheme. When a peer is added, the
listings its community announced lately are read from its outbox and taken in at once.
The peers are whatever the community follows (`fedishare follow` adds to them too).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fedishare.context import Instance
from fedishare.core.activitystreams import NotHttpUrl, host_of, host_or_none
from fedishare.federation.actor_document import actor_id
from fedishare.federation.errors import FetchError
from fedishare.follows.following import FollowError, follow_actor, unfollow_actor
from fedishare.listings import ingest
from fedishare.remote.fetch import JRD_TYPES, get_json, signed_get
from fedishare.remote.webfinger import WebFingerError, resolve_handle, split_handle
from fedishare.storage import actors, follows
from fedishare.storage.actors import LocalActor
from fedishare.storage.peers import unfollowed_listings_from

log = logging.getLogger(__name__)

Progress = Callable[[int, int, int], None]  # (fetched, of, stored) during a backfill

DEFAULT_HANDLE = "community"
# When a peer is added, its recent listings are taken in from its community's outbox.
BACKFILL_LISTINGS = 200
BACKFILL_PAGES = 20
_DOMAIN = re.compile(r"^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.-]*[a-z0-9])?)(:[0-9]{1,5})?$")
_NODEINFO_SCHEMAS = tuple(
    f"http://nodeinfo.diaspora.software/ns/schema/{v}" for v in ("2.1", "2.0")
)


class PeerError(Exception):
    """A peer that cannot be added or removed, worded for the operator."""


@dataclass(frozen=True)
class Peer:
    domain: str  # host[:port]
    actor: str  # its community actor's id
    state: str  # pending | accepted | rejected (our follow of it)
    taken_in: int = 0  # listings taken in from its outbox when added


def normalize_domain(inst: Instance, domain: str) -> str:
    """DOMAIN or DOMAIN:PORT (a pasted URL is cut down to its host), lower-case."""
    text = domain.strip().lower()
    if "://" in text:
        text = urlsplit(text).netloc
    text = text.strip("/")
    refusal = PeerError(f"{domain!r} is not a domain (expected DOMAIN or DOMAIN:PORT)")
    if not _DOMAIN.match(text):
        raise refusal
    try:
        host = host_of(f"{inst.config.instance.scheme}://{text}/")
    except NotHttpUrl:
        raise refusal from None
    if host == host_of(inst.urls.base + "/"):
        raise PeerError(f"{host} is this instance")
    return host


async def community_handle(inst: Instance, domain: str) -> str | None:
    """The "@handle@domain" a peer's NodeInfo names as its community, if it names one."""
    scheme = inst.config.instance.scheme
    index = await get_json(
        inst,
        f"{scheme}://{domain}/.well-known/nodeinfo",
        accept="application/json",
        media_types=JRD_TYPES,
    )
    links = index.get("links")
    hrefs = {
        link.get("rel"): link.get("href")
        for link in (links if isinstance(links, list) else [])
        if isinstance(link, dict)
    }
    for schema in _NODEINFO_SCHEMAS:
        href = hrefs.get(schema)
        if isinstance(href, str) and host_or_none(href) == domain:
            info = await get_json(inst, href, accept="application/json", media_types=JRD_TYPES)
            metadata = info.get("metadata")
            handle = metadata.get("community") if isinstance(metadata, dict) else None
            if not isinstance(handle, str):
                return None
            try:
                _, host = split_handle(handle)
            except WebFingerError:
                return None
            return handle if host == domain else None
    return None


async def find_community(inst: Instance, domain: str) -> str:
    """The actor id of a peer's community; PeerError if it cannot be found."""
    try:
        handle = await community_handle(inst, domain)
    except FetchError:
        handle = None
    handle = handle or f"{DEFAULT_HANDLE}@{domain}"
    try:
        found = await resolve_handle(inst, handle)
    except FetchError as exc:
        raise PeerError(f"{domain}: no community found ({handle}: {exc.reason})") from None
    if not found.startswith(f"{inst.config.instance.scheme}://") or host_or_none(found) != domain:
        raise PeerError(f"{domain}: its community {found} lives elsewhere")
    return found


async def _group(inst: Instance) -> LocalActor:
    group = await actors.find_by_kind(inst.db, "group")
    if group is None:
        raise PeerError("this instance has no community actor yet")
    return group


async def add_peer(inst: Instance, domain: str, on_listing: Progress | None = None) -> Peer:
    """Have our community follow the community of `domain` (queued; the running server
    sends the Follow). Adding a peer again sends the Follow again. `on_listing` follows
    the backfill (see `backfill`)."""
    host = normalize_domain(inst, domain)
    group = await _group(inst)
    community = await find_community(inst, host)
    try:
        await follow_actor(inst, group, community)
    except FetchError as exc:
        raise PeerError(f"{host}: cannot reach {community}: {exc.reason}") from None
    except FollowError as exc:
        raise PeerError(f"{host}: {exc}") from None
    stored = await follows.find(inst.db, actor_id(inst.urls, group), community)
    taken_in = await backfill(inst, community, on_listing=on_listing)
    return Peer(host, community, "pending" if stored is None else stored.state, taken_in)


async def _announced_ids(inst: Instance, community: str, limit: int) -> list[str]:
    """The listings a community announced lately (newest first, at most `limit`), read from
    its outbox; only those on its own host."""
    host = host_or_none(community)
    outbox = (await signed_get(inst, community)).get("outbox")
    if host is None or not isinstance(outbox, str) or host_or_none(outbox) != host:
        return []
    page: Any = (await signed_get(inst, outbox)).get("first")
    found: dict[str, None] = {}
    for _ in range(BACKFILL_PAGES):
        if isinstance(page, str) and host_or_none(page) == host:
            page = await signed_get(inst, page)
        if not isinstance(page, dict):
            break
        items = page.get("orderedItems", page.get("items"))
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and item.get("type") == "Announce":
                about = ingest.announced(item.get("object"))
                about_id = about.get("id") if isinstance(about, dict) else about
                if isinstance(about_id, str) and _on_host(about_id, host):
                    found[about_id] = None
        if len(found) >= limit:
            break
        page = page.get("next")
    return list(found)[:limit]


def _on_host(url: str, host: str) -> bool:
    return host_or_none(url) == host


async def backfill(
    inst: Instance,
    community: str,
    *,
    limit: int = BACKFILL_LISTINGS,
    on_listing: Progress | None = None,
) -> int:
    """Take in the listings a peer's community announced before we followed it; returns
    how many were stored. What cannot be fetched now is skipped: the peer's next Announce
    of it (at its next change) brings it. `on_listing(fetched, of, stored)` is called after
    each listing is fetched (for the command line's progress)."""
    try:
        ids = await _announced_ids(inst, community, limit)
    except FetchError as exc:
        log.info("no backfill from %s: %s", community, exc.reason)
        return 0
    stored = 0
    for fetched, listing_id in enumerate(ids, 1):
        try:
            outcome = await ingest.refresh(inst, listing_id)
            stored += outcome is ingest.Outcome.STORED
        except FetchError as exc:
            log.info("listing %s not taken in: %s", listing_id, exc.reason)
        if on_listing is not None:
            on_listing(fetched, len(ids), stored)
    return stored


async def list_peers(inst: Instance) -> list[Peer]:
    group = await _group(inst)
    rows = await follows.following(inst.db, actor_id(inst.urls, group), limit=10_000, state=None)
    return [
        Peer(host_of(f.followee), f.followee, f.state)
        for f in rows
        if not f.followee.startswith(inst.urls.base + "/")
    ]


async def remove_peer(inst: Instance, domain: str) -> list[Peer]:
    """Stop following every actor of `domain` that our community follows, and drop that
    server's listings that came only through it (those of authors a member follows stay).
    Returns the follows ended; PeerError if there were none."""
    host = normalize_domain(inst, domain)
    group = await _group(inst)
    ended = [p for p in await list_peers(inst) if p.domain == host]
    if not ended:
        raise PeerError(f"{host} is not a peer")
    for peer in ended:
        await unfollow_actor(inst, group, peer.actor)
    origin = f"{inst.config.instance.scheme}://{host}"
    for listing_id in await unfollowed_listings_from(inst.db, inst.urls.base, origin):
        await ingest.forget(inst, listing_id)
    return ended
