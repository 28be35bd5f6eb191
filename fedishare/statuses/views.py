"""Everything a page of statuses shows, loaded at once: the statuses they boost, their
documents, counts, parents, photos, and what the viewing member did to each.

A page of 40 costs about ten queries whatever its statuses are (no query per status), so
that a timeline reads as fast with 40 statuses as with one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from fedishare.context import Instance
from fedishare.core.types import JSON
from fedishare.federation.actor_document import actor_id
from fedishare.storage import bookmarks, status_reads
from fedishare.storage import statuses as status_index
from fedishare.storage.actors import LocalActor
from fedishare.storage.media import Media
from fedishare.storage.statuses import StatusRow


@dataclass(frozen=True)
class Viewed:
    """What the viewing member did (empty sets without a viewer)."""

    favourited: set[str] = field(default_factory=set)  # status URIs
    reblogged: set[str] = field(default_factory=set)  # status URIs
    bookmarked: set[int] = field(default_factory=set)  # status ids


@dataclass(frozen=True)
class Loaded:
    boosted: dict[int, StatusRow]  # the statuses that the page's boosts boost, by id
    documents: dict[str, JSON]  # by status URI (notes and listings)
    favourites: dict[str, int]  # by status URI
    reblogs: dict[str, int]
    replies: dict[str, int]
    parents: dict[str, StatusRow]  # by URI: the statuses that the page's statuses reply to
    media: dict[str, Media]  # by our URL of the file and by the remote URL we keep a copy of
    viewed: Viewed

    def shown(self, row: StatusRow) -> StatusRow | None:
        """The status a row shows the content of: itself, or the one it boosts."""
        return self.boosted.get(row.reblog_of) if row.kind == "reblog" and row.reblog_of else row


def attachments_of(document: JSON) -> list[JSON]:
    found = document.get("attachment")
    if isinstance(found, dict):
        found = [found]
    return [a for a in found if isinstance(a, dict)] if isinstance(found, list) else []


def attachment_urls(document: JSON) -> list[str]:
    urls: list[str] = []
    for entry in attachments_of(document):
        url = entry.get("url")
        if isinstance(url, list):
            url = url[0] if url else None
        if isinstance(url, dict):
            url = url.get("href")
        if isinstance(url, str):
            urls.append(url)
    return urls


async def load(inst: Instance, viewer: LocalActor | None, rows: Sequence[StatusRow]) -> Loaded:
    db = inst.db
    wanted = [r.reblog_of for r in rows if r.kind == "reblog" and r.reblog_of is not None]
    boosted = await status_index.get_many(db, wanted) if wanted else {}
    shown = [r for r in rows if r.kind != "reblog"] + list(boosted.values())
    uris = list(dict.fromkeys(r.uri for r in shown))
    documents = await status_reads.object_documents(
        db, [r.uri for r in shown if r.kind == "note"]
    ) | await status_reads.listing_documents(db, [r.uri for r in shown if r.kind == "listing"])
    counts = await status_reads.reaction_counts(db, uris)
    parents = [r.in_reply_to for r in shown if r.in_reply_to]
    ours = f"{inst.urls.base}/media/"
    urls = [u for d in documents.values() for u in attachment_urls(d)]
    paths = [u.removeprefix(ours) for u in urls if u.startswith(ours)]
    media: dict[str, Media] = {}
    for row in await status_reads.media_rows(
        db, paths, [u for u in urls if not u.startswith(ours)]
    ):
        if row.remote_url:
            media[row.remote_url] = row
        elif row.path:
            media[ours + row.path] = row
    return Loaded(
        boosted=boosted,
        documents=documents,
        favourites={u: counts.get((u, "Like"), 0) for u in uris},
        reblogs={u: counts.get((u, "Announce"), 0) for u in uris},
        replies=await status_reads.reply_counts(db, uris),
        parents=await status_index.by_uris(db, parents) if parents else {},
        media=media,
        viewed=await _viewed(inst, viewer, shown, rows),
    )


async def _viewed(
    inst: Instance, viewer: LocalActor | None, shown: Sequence[StatusRow], rows: Sequence[StatusRow]
) -> Viewed:
    if viewer is None:
        return Viewed()
    me = actor_id(inst.urls, viewer)
    reacted = await status_reads.reactions_of(inst.db, me, [r.uri for r in shown])
    ids = list(dict.fromkeys([r.id for r in shown] + [r.id for r in rows]))
    return Viewed(
        favourited={uri for uri, kind in reacted if kind == "Like"},
        reblogged={uri for uri, kind in reacted if kind == "Announce"},
        bookmarked=await bookmarks.bookmarked(inst.db, viewer.id, ids),
    )
