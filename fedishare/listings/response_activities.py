"""What responses look like on the wire: how a reply's addressing reads (direct, public...),
and the direct Notes and answers an author sends a responder. Pure: ids and times come in.

A direct Note reaches a Mastodon user when it has `inReplyTo`, a `Mention` tag (`href` the
actor id, `name` `@user@host`), the user in `to`, and is delivered to their inbox; its text
starts with the mention, as Mastodon writes it.
"""

from __future__ import annotations

import uuid
from html import escape
from typing import Literal

from fedishare.core.activitystreams import AS_CONTEXT, PUBLIC, id_of, ids_of
from fedishare.core.listing import Listing
from fedishare.core.types import JSON
from fedishare.federation.activities import respond
from fedishare.storage.conversations import Answer

Visibility = Literal["public", "unlisted", "followers", "direct"]
PUBLIC_ADDRESSES = frozenset({PUBLIC, "as:Public", "Public"})
ANSWER_TYPES: dict[Answer, str] = {
    "accept": "Accept",
    "tentative": "TentativeAccept",
    "reject": "Reject",
}
_BLOCKS = ("<p", "<ul", "<ol", "<blockquote", "<pre")


def visibility_of(doc: JSON, followers: str | None = None) -> Visibility:
    """Mastodon's reading of an object's addressing: Public in `to` → public; in `cc` →
    unlisted; a followers collection (`followers`, the author's, or any URL ending in
    /followers) → followers-only; otherwise direct (mentioned people only)."""
    to, cc = ids_of(doc.get("to")), ids_of(doc.get("cc"))
    if PUBLIC_ADDRESSES.intersection(to):
        return "public"
    if PUBLIC_ADDRESSES.intersection(cc):
        return "unlisted"
    if any(a == followers or a.rstrip("/").endswith("/followers") for a in to + cc):
        return "followers"
    return "direct"


def addressees(doc: JSON) -> set[str]:
    """Everyone an object is addressed to or mentions."""
    found = {a for key in ("to", "cc", "bto", "bcc", "audience") for a in ids_of(doc.get(key))}
    tags = doc.get("tag")
    for tag in tags if isinstance(tags, list) else [tags]:
        if isinstance(tag, dict) and tag.get("type") == "Mention":
            href = id_of(tag.get("href"))
            if href is not None:
                found.add(href)
    return found


def derived_id(base: str, kind: str, *parts: str) -> str:
    """An id made from what it answers, so that doing the same work twice (an inbox item
    processed again after a crash) makes the same id, and is seen as done."""
    name = uuid.uuid5(uuid.NAMESPACE_URL, " ".join(parts))
    return f"{base}/{kind}/{name}"


def mention_html(actor_id: str, username: str) -> str:
    return (
        f'<span class="h-card"><a href="{escape(actor_id)}" class="u-url mention">'
        f"@<span>{escape(username)}</span></a></span>"
    )


def with_mention(html: str, actor_id: str, username: str) -> str:
    """The text with the mention first, inside its first paragraph when it has one."""
    mention = mention_html(actor_id, username)
    text = html.strip()
    if text.startswith("<p>"):
        return f"<p>{mention} {text[3:]}"
    if any(block in text for block in _BLOCKS):
        return f"<p>{mention}</p>{text}"
    return f"<p>{mention} {text}</p>"


def direct_note(
    note_id: str,
    author: str,
    responder: str,
    handle: str,
    content: str,
    in_reply_to: str,
    published: str,
) -> JSON:
    """A Note from `author` to `responder` only. `handle` is `@user@host`; `content` is
    clean HTML that already starts with the mention."""
    return {
        "id": note_id,
        "type": "Note",
        "attributedTo": author,
        "inReplyTo": in_reply_to,
        "published": published,
        "to": [responder],
        "cc": [],
        "content": content,
        "tag": [{"type": "Mention", "href": responder, "name": handle}],
        "url": note_id,
    }


def create_direct(note: JSON) -> JSON:
    """The Create of a direct note, addressed as the note is."""
    return {
        "@context": AS_CONTEXT,
        "id": f"{note['id']}/activity",
        "type": "Create",
        "actor": note["attributedTo"],
        "published": note["published"],
        "to": note["to"],
        "cc": note["cc"],
        "object": note,
    }


def answer(activity_id: str, author: str, answer: Answer, original: JSON, published: str) -> JSON:
    """Accept, TentativeAccept or Reject of a responder's Offer or Join, embedding it
    (id, type, actor, object) as Mastodon-style receivers match it."""
    doc = respond("", ANSWER_TYPES[answer], author, original)
    return doc | {"id": activity_id, "published": published}


def quoted_title(listing: Listing) -> str:
    return f"\u201c{escape(listing.title)}\u201d"


def howto_text(listing: Listing) -> str:
    """Told once to whoever replied publicly."""
    return (
        f"<p>Thanks for your reply to {quoted_title(listing)}. To arrange it, please answer"
        " me privately: reply to this message, or post with the visibility \u201cmentioned"
        " people only\u201d. Public replies stay visible to everyone.</p>"
    )


def gone_text(listing: Listing) -> str:
    """Told once to each responder who did not get it, when the listing closes."""
    if listing.status == "taken":
        news = f"{quoted_title(listing)} has gone to someone else"
    elif listing.status == "received":
        news = f"{quoted_title(listing)} has been found"
    else:
        news = f"{quoted_title(listing)} is no longer available"
    return f"<p>Sorry, {news}. Thank you for responding!</p>"


def answer_text(listing: Listing, decision: Answer) -> str:
    """The author's answer, in words, for a responder who wrote a note (no Offer or Join)."""
    title = quoted_title(listing)
    if decision == "accept":
        return (
            f"<p>Good news: yes to your response to {title}."
            " Let\u2019s arrange the details here.</p>"
        )
    if decision == "tentative":
        return f"<p>I have noted your interest in {title} and will let you know.</p>"
    return f"<p>Sorry, {title} will not work out this time. Thank you for responding!</p>"
