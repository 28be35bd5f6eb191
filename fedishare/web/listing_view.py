"""What a listing's page shows: the listing as people read it (its photos, paragraphs, dates
and age, the text of a preview card) and, to its author, every response to it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fedishare.context import Instance
from fedishare.core.listing import Listing
from fedishare.core.types import JSON
from fedishare.listings import conversations
from fedishare.listings.sanitize import html_to_text
from fedishare.storage.actors import LocalActor
from fedishare.storage.conversations import Message
from fedishare.web.people import Person, describe_all
from fedishare.web.photos import photo_src
from fedishare.web.times import age, day, moment

PREVIEW_CHARS = 300  # of the description, in a preview card
_DATES = ("start", "end", "expires", "return_by")


@dataclass(frozen=True)
class Photo:
    src: str
    alt: str
    width: int | None
    height: int | None


@dataclass(frozen=True)
class Said:
    """A message or comment as the author's page shows it."""

    outgoing: bool
    kind: str  # a message's kind (note, offer...), a comment's visibility
    when: str
    text: str


@dataclass(frozen=True)
class Thread:
    """A private conversation with one responder."""

    person: Person
    answer: str | None
    messages: list[Said]


def shown(listing: Listing, now: datetime) -> dict[str, Any]:
    """The listing's page context, for anyone who may see it."""
    return {
        "listing": listing,
        "photos": [Photo(photo_src(i), i.alt, i.width, i.height) for i in listing.images],
        "og_image": listing.images[0] if listing.images else None,
        "og_description": preview_text(listing),
        "age": age(listing.published, now),
        "edited": age(listing.updated, now) if listing.updated > listing.published else None,
        "dates": {
            name: day(getattr(listing, name))
            for name in _DATES
            if getattr(listing, name) is not None
        },
        "paragraphs": paragraphs(listing.description),
        "rules": paragraphs(listing.house_rules),
    }


async def responses(inst: Instance, author: LocalActor, listing: Listing) -> dict[str, Any]:
    """What only the author sees: every conversation and comment, and who responded (to
    choose whom to reserve it for)."""
    found = await conversations.list_conversations(inst, author, listing.id)
    comments = await conversations.list_comments(inst, author, listing.id)
    responders = await conversations.list_responders(inst, author, listing.id)
    people = await describe_all(
        inst,
        [
            *(r.responder for r in responders),
            *(c.responder for c in found),
            *(c.author for c in comments),
            *([listing.reserved_for] if listing.reserved_for else []),
        ],
    )
    threads = []
    for conversation in found:
        messages = await conversations.conversation_messages(
            inst, author, listing.id, conversation.responder
        )
        said = [_said(m) for m in messages]
        threads.append(Thread(people[conversation.responder], conversation.answer, said))
    return {
        "threads": threads,
        "comments": [
            (people[c.author], Said(False, c.visibility, moment(c.published), _text(c.document)))
            for c in comments
        ],
        "responders": [people[r.responder] for r in responders],
        "reserved_for": people.get(listing.reserved_for or ""),
    }


def preview_text(listing: Listing) -> str:
    """A preview card's description: the place, then the description on one line."""
    text = " ".join(listing.description.split())
    if len(text) > PREVIEW_CHARS:
        text = text[: PREVIEW_CHARS - 1].rstrip() + "…"
    where = listing.place.name
    return f"{where} · {text}" if where and text else where or text


def paragraphs(text: str) -> list[list[str]]:
    """Plain text as paragraphs, each a list of its lines."""
    blocks = [[line for line in block.split("\n") if line.strip()] for block in text.split("\n\n")]
    return [block for block in blocks if block]


def _said(message: Message) -> Said:
    outgoing = message.direction == "out"
    return Said(outgoing, message.kind, moment(message.published), _text(message.document))


def _text(document: JSON) -> str:
    """The words of a note, or of the object of an activity (Offer, Join): remote HTML
    read as plain text, which the template escapes."""
    content = document.get("content")
    inner = document.get("object")
    if not isinstance(content, str) and isinstance(inner, dict):
        content = inner.get("content") or inner.get("name")
    return html_to_text(content) if isinstance(content, str) else ""
