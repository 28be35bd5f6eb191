"""Mastodon's Status entity for rows of the status index: our notes and listings, other
servers' notes and listings, and boosts (a status whose `reblog` is the boosted one).

A listing's content is the readable text it is published with (fedishare.listings.content,
kept in its document), its photos its media. Other servers' HTML is cleaned. The viewer's
own state (favourited, reblogged, bookmarked...) appears only when there is a viewer, as in
Mastodon.
"""

from __future__ import annotations

from collections.abc import Sequence

from fedishare.client_api.entities.account import account_ids_of, render_accounts, stand_in
from fedishare.client_api.entities.emoji import emojis_of, link_of, tags_of
from fedishare.client_api.entities.html import content_html, text_of
from fedishare.client_api.entities.media import render_attachment, render_media
from fedishare.client_api.entities.tag import status_tags
from fedishare.client_api.entities.times import mastodon_time, maybe_time
from fedishare.context import Instance
from fedishare.core.errors import NotFound
from fedishare.core.types import JSON
from fedishare.federation.actor_document import actor_id
from fedishare.statuses.views import Loaded, attachments_of, load
from fedishare.storage.actors import LocalActor
from fedishare.storage.statuses import StatusRow

_MOST_MEDIA = 10  # ids of attachments without a row are status id * 10 + position


async def render_status(inst: Instance, viewer: LocalActor | None, row: StatusRow) -> JSON:
    found = await render_statuses(inst, viewer, [row])
    if not found:
        raise NotFound("Record not found")
    return found[0]


async def render_statuses(
    inst: Instance, viewer: LocalActor | None, rows: Sequence[StatusRow]
) -> list[JSON]:
    """The Statuses of `rows`, in their order; a boost whose status is not indexed is left
    out. A few queries for the whole list."""
    loaded = await load(inst, viewer, rows)
    shown = [s for r in rows if (s := loaded.shown(r)) is not None]
    mentioned = [
        href
        for s in shown
        for tag in tags_of(loaded.documents.get(s.uri, {}), "Mention")
        if isinstance(href := tag.get("href"), str)
    ]
    authors = [r.author for r in rows] + [s.author for s in shown]
    authors += [parent.author for parent in loaded.parents.values()]
    accounts = await render_accounts(inst, authors + mentioned)
    ids = await account_ids_of(inst, list(dict.fromkeys(authors + mentioned)))
    for uri in ids:
        if uri not in accounts:
            accounts[uri] = stand_in(inst, uri, ids[uri])
    me = None if viewer is None else actor_id(inst.urls, viewer)
    out: list[JSON] = []
    for row in rows:
        original = loaded.shown(row)
        if original is None:
            continue
        entity = _status(inst, loaded, accounts, me, original)
        if original is not row:
            entity = _boost(loaded, accounts, me, row, entity)
        out.append(entity)
    return out


def _status(
    inst: Instance, loaded: Loaded, accounts: dict[str, JSON], me: str | None, row: StatusRow
) -> JSON:
    doc = loaded.documents.get(row.uri, {})
    live = not row.deleted and doc.get("type") != "Tombstone"
    spoiler = text_of(doc.get("summary")) if live else ""
    parent = loaded.parents.get(row.in_reply_to or "")
    entity: JSON = {
        "id": str(row.id),
        "uri": row.uri,
        "url": link_of(doc.get("url")) or row.uri,
        "created_at": mastodon_time(row.published),
        "edited_at": maybe_time(doc.get("updated")) if live else None,
        "account": accounts[row.author],
        "content": content_html(doc) if live else "",
        "visibility": row.visibility,
        "sensitive": live and (doc.get("sensitive") is True or bool(spoiler)),
        "spoiler_text": spoiler,
        "media_attachments": _media(inst, loaded, row, doc) if live else [],
        "application": _application(doc) if live and row.local_actor_id is not None else None,
        "mentions": _mentions(accounts, doc) if live else [],
        "tags": status_tags(inst, doc) if live else [],
        "emojis": emojis_of(doc) if live else [],
        "reblogs_count": loaded.reblogs.get(row.uri, 0),
        "favourites_count": loaded.favourites.get(row.uri, 0),
        "replies_count": loaded.replies.get(row.uri, 0),
        "in_reply_to_id": None if parent is None else str(parent.id),
        "in_reply_to_account_id": None if parent is None else accounts[parent.author]["id"],
        "reblog": None,
        "poll": None,
        "card": None,
        "language": _language(doc),
        "text": None,
    }
    if me is not None:
        viewed = loaded.viewed
        entity |= {
            "favourited": row.uri in viewed.favourited,
            "reblogged": row.uri in viewed.reblogged,
            "bookmarked": row.id in viewed.bookmarked,
            "muted": False,
        }
        if row.author == me:
            entity["pinned"] = False
    return entity


def _application(doc: JSON) -> JSON | None:
    """The app a member posted with (the note's AS2 generator), as Mastodon names it."""
    generator = doc.get("generator")
    if not isinstance(generator, dict) or not isinstance(generator.get("name"), str):
        return None
    website = generator.get("url")
    return {"name": generator["name"], "website": website if isinstance(website, str) else None}


def _boost(
    loaded: Loaded, accounts: dict[str, JSON], me: str | None, row: StatusRow, inner: JSON
) -> JSON:
    """A boost: a status of the booster's, empty but for the boosted status in `reblog`."""
    entity: JSON = {
        "id": str(row.id),
        "uri": row.uri,
        "url": inner["url"],
        "created_at": mastodon_time(row.published),
        "edited_at": None,
        "account": accounts[row.author],
        "content": "",
        "visibility": row.visibility,
        "sensitive": False,
        "spoiler_text": "",
        "media_attachments": [],
        "application": None,
        "mentions": [],
        "tags": [],
        "emojis": [],
        "reblogs_count": 0,
        "favourites_count": 0,
        "replies_count": 0,
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "reblog": inner,
        "poll": None,
        "card": None,
        "language": None,
        "text": None,
    }
    if me is not None:
        entity |= {
            "favourited": inner["favourited"],
            "reblogged": inner["reblogged"],
            "bookmarked": row.id in loaded.viewed.bookmarked or inner["bookmarked"],
            "muted": False,
        }
    return entity


def _media(inst: Instance, loaded: Loaded, row: StatusRow, doc: JSON) -> list[JSON]:
    found: list[JSON] = []
    for position, entry in enumerate(attachments_of(doc)[:_MOST_MEDIA]):
        url = link_of(entry.get("url")) or link_of(entry.get("href"))
        stored = None if url is None else loaded.media.get(url)
        if stored is not None:
            kept = render_media(inst, stored)
            name = entry.get("name")
            if isinstance(name, str) and name:
                kept["description"] = name
            found.append(kept)
        elif (media := render_attachment(inst, entry, str(row.id * 10 + position))) is not None:
            found.append(media)
    return found


def _mentions(accounts: dict[str, JSON], doc: JSON) -> list[JSON]:
    found: dict[str, JSON] = {}
    for tag in tags_of(doc, "Mention"):
        href = tag.get("href")
        if not isinstance(href, str) or href in found or href not in accounts:
            continue
        account = accounts[href]
        found[href] = {
            "id": account["id"],
            "username": account["username"],
            "url": account["url"] or href,
            "acct": account["acct"],
        }
    return list(found.values())


def _language(doc: JSON) -> str | None:
    languages = doc.get("contentMap")
    if isinstance(languages, dict) and len(languages) == 1:
        code = str(next(iter(languages))).split("-")[0].lower()
        return code if len(code) == 2 and code.isalpha() else None
    return None
