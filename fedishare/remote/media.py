"""Other servers' photos, fetched and kept here, so that our pages load only from this
instance (no visitor's address or browser goes to servers they did not choose to visit).

Fetched lazily, the first time a page shows one, rather than when a listing is taken in:
a peer's listings arrive by the thousand and most photos are never looked at, while the
inbox worker that takes them in should not wait on image servers. Only photos that a
live listing shows are fetched (we are no open proxy), each at most once an hour when
its server fails, and within FETCH_SECONDS: the page itself never waits, its image
request at most that long before it gets a placeholder.

Fetches are checked as `fedishare.remote.fetch` checks documents (scheme, blocked
domains), unsigned (media servers do not check signatures), size-capped at
`[limits] max_upload_bytes` (and the client's own `max_fetch_bytes`), following at most
MAX_REDIRECTS redirects (media often lives behind one), each checked again. What comes
back is re-encoded like a member's upload: an image that is not one is refused.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urljoin

import httpx

from fedishare.context import Instance
from fedishare.core.bounded_read import read_bounded
from fedishare.core.errors import NotFound
from fedishare.federation.errors import FetchError
from fedishare.media import files
from fedishare.media.processing import Unreadable, process_photo
from fedishare.remote.fetch import check_url
from fedishare.storage import media as store
from fedishare.storage.media import Media

log = logging.getLogger(__name__)

FETCH_SECONDS = 6.0
RETRY_SECONDS = 3600.0  # a failed photo is not fetched again sooner
MAX_REDIRECTS = 3
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


async def cached_photo(inst: Instance, url: str) -> Media | None:
    """Our copy of another server's photo, fetched now if we have none; None while it
    cannot be had (its server failed, now or within the hour). NotFound if no listing
    shows it."""
    found = await store.find_remote(inst.db, url)
    now = inst.clock().timestamp()
    if found is not None and not found.failed:
        return found
    if found is not None and now - found.created_at < RETRY_SECONDS:
        return None
    if found is None and not await store.shown_by_a_listing(inst.db, url):
        raise NotFound("no listing here shows this photo")
    try:
        async with asyncio.timeout(FETCH_SECONDS):
            data = await _download(inst, url)
        photo = await asyncio.to_thread(process_photo, data)
    except (FetchError, Unreadable, TimeoutError) as exc:
        log.info("photo %s not cached: %s", url, exc or "timed out")
        async with inst.db.transaction() as tx:
            await store.remember_failure(tx, url, now)
        return None
    directory = inst.config.instance.media
    written = await files.write(directory, photo)
    media = files.media_row(written, photo, owner_id=None, remote_url=url, now=now)
    async with inst.db.transaction() as tx:
        kept = await store.keep_remote(tx, media)
    if not kept:  # another request stored it first: keep theirs
        await files.remove(directory, written.path, written.thumbnail_path)
    stored = await store.find_remote(inst.db, url)
    return None if stored is None or stored.failed else stored


async def _download(inst: Instance, url: str) -> bytes:
    limit = inst.config.limits.max_upload_bytes
    for _ in range(MAX_REDIRECTS + 1):
        check_url(inst, url)
        try:
            async with inst.http.stream("GET", url, headers={"Accept": "image/*"}) as response:
                location = response.headers.get("location")
                if response.status_code in _REDIRECTS and location:
                    url = urljoin(url, location)
                    continue
                if not 200 <= response.status_code < 300:
                    raise FetchError(
                        f"{url} answered {response.status_code}", status=response.status_code
                    )
                media_type = response.headers.get("content-type", "").split(";")[0].strip()
                if not media_type.lower().startswith("image/"):
                    raise FetchError(f"{url} is served as {media_type or 'nothing'!r}")
                return await read_bounded(
                    response.headers.get("content-length", ""),
                    response.aiter_bytes(),
                    limit,
                    lambda: FetchError(f"a photo is larger than {limit} bytes"),
                )
        except httpx.HTTPError as exc:
            raise FetchError(f"{url} is unreachable: {exc or type(exc).__name__}") from exc
    raise FetchError(f"more than {MAX_REDIRECTS} redirects from {url}")
