"""The board as an Atom feed (RFC 4287), for any of its filters: `/board.atom?…` takes the
board's parameters, for people who follow the neighbourhood in a feed reader."""

from __future__ import annotations

import re
from datetime import datetime

import jinja2
from starlette.requests import Request
from starlette.responses import Response

from fedishare.context import Instance
from fedishare.core.activitystreams import iso
from fedishare.core.errors import Invalid
from fedishare.core.listing import Listing
from fedishare.listings.content import hashtags, label
from fedishare.storage.listing_search import search
from fedishare.web import board_filters
from fedishare.web.cards import listing_href

ATOM = "application/atom+xml; charset=utf-8"
SUMMARY_CHARS = 600
# Characters XML 1.0 cannot hold, which other servers' text might.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


def summary(listing: Listing) -> str:
    text = listing.description.strip()
    if len(text) > SUMMARY_CHARS:
        text = text[: SUMMARY_CHARS - 1].rstrip() + "\u2026"
    place = listing.place.name
    return xml_text(f"{text}\n\n{place} \u00b7 {listing.status}" if place else text)


def entry(listing: Listing) -> dict[str, object]:
    author = listing.author.rstrip("/").rsplit("/", 1)[-1]
    return {
        "id": listing.id,
        "title": xml_text(f"{label(listing)}: {listing.title}"),
        "href": listing.id,
        "published": iso(listing.published),
        "updated": iso(listing.updated),
        "author": xml_text(author),
        "author_uri": listing.author,
        "summary": summary(listing),
        "tags": hashtags(listing),
    }


async def board_feed(request: Request) -> Response:
    inst: Instance = request.state.instance
    cfg = inst.config
    filters = board_filters.read(request.query_params)
    if filters.refusal is not None or filters.query is None:
        raise filters.refusal or Invalid("the feed's parameters were refused")
    hits = await search(inst.db, filters.query)
    newest: datetime = max((h.listing.updated for h in hits), default=inst.clock())
    tag = filters.params.get("tag")
    page = filters.link(f"/tags/{tag}" if tag else "/board", offset=None, tag=None)
    env: jinja2.Environment = request.state.templates
    body = env.get_template("board.atom.xml").render(
        feed_id=cfg.base_url + filters.link("/board.atom", offset=None),
        title=f"{cfg.community.name} #{tag}" if tag else cfg.community.name,
        updated=iso(newest),
        community_name=cfg.community.name,
        community_url=inst.urls.actor(cfg.community.handle),
        board_url=cfg.base_url + page,
        # Atom wants a web link for every entry without content: ids that are not are left out.
        entries=[entry(h.listing) for h in hits if listing_href(h.listing)],
    )
    return Response(body, media_type=ATOM)
