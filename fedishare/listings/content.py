"""The human side of a listing: the HTML `content` Mastodon shows, and its hashtags.

Mastodon shows a Note's `content` and nothing of `name`, `location` or the times, so every
fact a reader needs is repeated here as text: the title line, the description, the place,
the dates, the status and how to respond.
"""

from __future__ import annotations

import re
from datetime import datetime
from html import escape

from fedishare.core.listing import Listing

_WORD = re.compile(r"\w+", re.UNICODE)
EN_DASH = "\u2013"


def label(listing: Listing) -> str:
    """The first words of the title line, e.g. "OFFER · free"."""
    if listing.kind == "give":
        return "OFFER · free"
    if listing.kind == "lend":
        return "OFFER · to lend"
    if listing.kind == "wanted":
        return "WANTED"
    if listing.kind == "help":
        return "OFFER · help" if listing.purpose == "offer" else "REQUEST · help"
    return "STAY · host" if listing.purpose == "offer" else "STAY · looking for a host"


def hashtags(listing: Listing) -> list[str]:
    """Tag names without '#': the purpose, `stay` for stays, and the neighbourhood."""
    tags: list[str] = [listing.purpose]
    if listing.is_stay:
        tags.append("stay")
    place_tag = "".join(w[:1].upper() + w[1:] for w in _WORD.findall(listing.place.name))
    if place_tag and place_tag.lower() not in tags:
        tags.append(place_tag)
    return tags


def tag_url(base: str, tag: str) -> str:
    return f"{base}/tags/{tag.lower()}"


def day(dt: datetime, reference: datetime) -> str:
    """A day as "30 Jul", with the year when it is not the reference's year."""
    text = f"{dt.day} {dt:%b}"
    return text if dt.year == reference.year else f"{text} {dt.year}"


def render_content(listing: Listing, base: str) -> str:
    """The `content` HTML of a listing of ours (`base` is our scheme://domain)."""
    parts = [f"<p><strong>{escape(label(listing))}: {escape(listing.title)}</strong></p>"]
    parts += _paragraphs(listing.description)
    details = _details(listing)
    if details:
        parts.append(f"<p>{escape(details)}</p>")
    if listing.house_rules:
        rules = _paragraphs(listing.house_rules)
        parts.append(rules[0].replace("<p>", "<p>House rules: ", 1))
        parts += rules[1:]
    parts.append(f"<p>{escape(_status_line(listing))}</p>")
    parts.append(f"<p>{escape(_how_to_respond(listing))}</p>")
    links = " ".join(
        # Marked up as Mastodon marks hashtags, so that apps style them as hashtags.
        f'<a href="{escape(tag_url(base, t))}" class="mention hashtag" rel="tag">'
        f"#<span>{escape(t)}</span></a>"
        for t in hashtags(listing)
    )
    parts.append(f"<p>{links}</p>")
    return "".join(parts)


def text_html(text: str) -> str:
    """Plain text (a message typed in a form) as HTML paragraphs, line breaks kept."""
    return "".join(_paragraphs(text))


def _paragraphs(text: str) -> list[str]:
    out = []
    for block in text.split("\n\n"):
        lines = [escape(line.strip()) for line in block.split("\n") if line.strip()]
        if lines:
            out.append(f"<p>{'<br>'.join(lines)}</p>")
    return out


def _number(x: float) -> str:
    return f"{x:g}"


def _details(listing: Listing) -> str:
    bits: list[str] = []
    if listing.return_by is not None:
        bits.append(f"return by {day(listing.return_by, listing.published)}")
    if listing.hours is not None:
        bits.append(f"about {_number(listing.hours)} h")
    credits = listing.time_credits
    if credits is not None:
        bits.append(f"{_number(credits)} time credits in return")
    elif listing.reciprocal is not None and listing.reciprocal.amount is not None:
        bits.append(f"asks {_number(listing.reciprocal.amount)} in return")
    if listing.capacity is not None:
        bits.append(f"up to {listing.capacity} guest{'s' if listing.capacity != 1 else ''}")
    if listing.party_size is not None:
        n = listing.party_size
        bits.append(f"{n} traveller{'s' if n != 1 else ''}")
    if listing.flexible:
        bits.append("dates flexible")
    text = " · ".join(bits)
    return text[:1].upper() + text[1:]


def _status_line(listing: Listing) -> str:
    bits = [listing.place.name] if listing.place.name else []
    if listing.is_stay and listing.start is not None:
        first, last = day(listing.start, listing.published), day(listing.end, listing.published)
        bits.append(f"{first} {EN_DASH} {last}")
    else:
        bits.append(f"until {day(listing.expires, listing.published)}")
    bits.append(listing.status)
    return " · ".join(bits)


def _how_to_respond(listing: Listing) -> str:
    if listing.status == "reserved":
        return "Reserved for someone; reply privately (mentioned people only) to be next."
    if not listing.is_live:
        return "This listing is closed."
    if listing.is_stay:
        ask = "Want to stay?" if listing.purpose == "offer" else "Can you host?"
    else:
        ask = "Interested?" if listing.purpose == "offer" else "Can you help?"
    return f"{ask} Reply privately (mentioned people only)."
