"""What search finds on other servers when asked to resolve: the actor behind a handle
(WebFinger, then a signed fetch of the actor), and the post, listing or actor a URL names
(fetched signed from its origin and stored, so that it is indexed as a status).

Only the origin is trusted: an object is kept when its id and its author live on the host
it was fetched from, as the inbox does for what it fetches.
"""

from __future__ import annotations

from dataclasses import dataclass

from fedishare.context import Instance
from fedishare.core.activitystreams import host_or_none, id_of
from fedishare.federation.errors import FetchError
from fedishare.federation.remote_actor_document import is_actor_document
from fedishare.listings import ingest
from fedishare.listings.reading import clean_document, listing_from_object
from fedishare.remote.actors import get_remote_actor
from fedishare.remote.fetch import signed_get
from fedishare.remote.webfinger import resolve_handle, split_handle
from fedishare.statuses.keeping import keep_post
from fedishare.storage import account_search
from fedishare.storage import statuses as status_index
from fedishare.storage.statuses import StatusRow

# Objects shown as statuses (Mastodon shows these; others it converts or drops).
POST_TYPES = frozenset({"Note", "Question", "Article", "Page"})


@dataclass(frozen=True)
class Resolved:
    account: str | None = None  # an actor URI
    status: StatusRow | None = None


def looks_like_handle(text: str) -> bool:
    """`@user@host` or `user@host` (not a URL, no spaces)."""
    try:
        split_handle(text)
    except FetchError:
        return False
    return "://" not in text


def findable(inst: Instance, actor_uri: str) -> bool:
    """Whether search may show another server's actor: not on a blocked domain (either
    list of instance.toml, or an admin's block) and not blocked by an admin itself. A
    silenced domain's actors are still found, as Mastodon finds limited accounts."""
    host = host_or_none(actor_uri)
    return (
        host is not None
        and inst.domains.permits(host)
        and not inst.domains.refuses_actor(actor_uri)
    )


async def account(inst: Instance, handle: str, *, resolve: bool) -> str | None:
    """The actor URI of `handle`: ours, one we know, or (with `resolve`) asked of its host
    by WebFinger and fetched. None when it cannot be found, or is blocked (`findable`)."""
    user, host = split_handle(handle)
    if host == inst.config.instance.domain.lower():
        return None  # ours: found among local accounts by the caller
    if not inst.domains.permits(host):
        return None  # neither known nor asked for: a blocked domain is not searched
    known = await account_search.remote_by_handle(inst.db, user, host)
    if known is not None or not resolve:
        return known if known is not None and findable(inst, known) else None
    try:
        actor_uri = await resolve_handle(inst, handle)
        found = (await get_remote_actor(inst, actor_uri, refresh=True)).id
    except FetchError:
        return None
    return found if findable(inst, found) else None


async def url(inst: Instance, address: str) -> Resolved:
    """What the URL `address` names: our own status, or another server's post, listing or
    actor, fetched signed and stored. Empty when it is none of these or cannot be fetched.
    Whoever asked may not see the status: the caller filters (`statuses.visibility`)."""
    if inst.urls.is_ours(address):
        return Resolved(status=await status_index.by_uri(inst.db, address))
    known = await status_index.by_uri(inst.db, address)
    if known is not None:
        return Resolved(status=known)
    try:
        doc = await signed_get(inst, address)
    except FetchError:
        return Resolved()
    host = host_or_none(address)
    object_id = id_of(doc)
    if object_id is None or host_or_none(object_id) != host:
        return Resolved()
    if is_actor_document(doc):
        if not findable(inst, object_id):
            return Resolved()
        try:
            return Resolved(account=(await get_remote_actor(inst, object_id, refresh=True)).id)
        except FetchError:
            return Resolved()
    return Resolved(status=await _post(inst, doc, object_id, host))


async def _post(
    inst: Instance, doc: dict[str, object], object_id: str, host: str | None
) -> StatusRow | None:
    author = id_of(doc.get("attributedTo")) or id_of(doc.get("actor"))
    if author is None or host_or_none(author) != host:
        return None
    try:
        await get_remote_actor(inst, author)  # the status's account must be known
    except FetchError:
        return None
    listing = listing_from_object(doc, now=inst.clock())
    if listing is not None and listing.id == object_id:
        await ingest.keep(inst, listing, doc)
    elif doc.get("type") in POST_TYPES:
        await keep_post(inst, clean_document(dict(doc)), author)
    else:
        return None
    return await status_index.by_uri(inst.db, object_id)
