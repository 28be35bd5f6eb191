"""Finding listings: by purpose and kind, status, words, distance, stay dates and party size,
ours and other servers' together, newest, nearest or most relevant first, a page at a time.

Distance is filtered and ordered in SQL without trigonometry: a bounding box on the indexed
latitude and longitude, then the equirectangular distance (longitude scaled by the cosine of
the search point's latitude). Within the 50 km a search may cover, its error is far below the
kilometre to which every stored position is already rounded. The exact (haversine) distance
is computed afterwards for the page returned.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from fedishare.core.activitystreams import iso
from fedishare.core.listing import (
    PURPOSES,
    Kind,
    Listing,
    Origin,
    Purpose,
    Status,
    Visibility,
)
from fedishare.storage.database import Database, Transaction
from fedishare.storage.hidden_authors import LISTING_SHOWN
from fedishare.storage.listings import SELECT_COLUMNS, from_row
from fedishare.storage.rows import marks

Order = Literal["newest", "nearest", "relevance"]
EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180
MAX_WORDS = 8
MAX_LIMIT = 100
# How many of the newest listings a newest-first radius search walks, before searching
# the whole box: a small window first (a dense area fills a page from it), then a larger one.
WINDOWS = (250, 2_000)
_WORD = re.compile(r"\w+", re.UNICODE)
# What place names hold between their words; hashtags leave it out.
_PLACE_PUNCTUATION = " -'\u2019.,/()&+:;!?\"#@*\t"


@dataclass(frozen=True)
class Query:
    purpose: Purpose | None = None
    kinds: tuple[Kind, ...] = ()
    statuses: tuple[Status, ...] = ("open",)  # empty: any status
    words: str = ""
    near: tuple[float, float] | None = None  # (latitude, longitude)
    # With `near`. None: no limit, and only a nearest-first search leaves out listings
    # without a position.
    within_km: float | None = None
    dates: tuple[datetime, datetime] | None = None  # stays overlapping [from, to)
    party_size: int | None = None  # stay offers with room for this many
    capacity: int | None = None  # stay requests of at most this many travellers
    origin: Origin | None = None  # None: ours and other servers' together
    # Followers-only listings are left out unless the caller knows the viewer may see them.
    visibilities: tuple[Visibility, ...] = ("public", "unlisted")
    author: str | None = None
    tag: str | None = None  # a hashtag name, without '#' (see `hashtag_condition`)
    # Listings by authors admins keep out (`fedishare.storage.hidden_authors`) are left out;
    # a silenced author's still show to `viewer` (an actor id) if they follow them.
    moderated: bool = True
    viewer: str | None = None
    order: Order | None = None  # default: relevance with words, else nearest with near
    limit: int = 20
    offset: int = 0


@dataclass(frozen=True)
class Hit:
    listing: Listing
    distance_km: float | None = None


def fts_query(words: str) -> str:
    """The user's words as an FTS5 query: every word must match, as a prefix ("bike"
    finds "bikes"); quoting makes FTS5 operators and punctuation inert."""
    found = _WORD.findall(words)[:MAX_WORDS]
    return " ".join(f'"{w}"*' for w in found)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _order(q: Query, has_words: bool) -> Order:
    if q.order is not None:
        if q.order == "nearest" and q.near is None:
            raise ValueError("ordering by distance needs a point (near)")
        if q.order == "relevance" and not has_words:
            raise ValueError("ordering by relevance needs words")
        return q.order
    if has_words:
        return "relevance"
    return "nearest" if q.near is not None else "newest"


def build(q: Query, *, window: int | None = None) -> tuple[str, list[Any]]:
    """The SQL and parameters for `q` (separate so that tests and the benchmark can EXPLAIN).

    With `window`, a newest-first search within a radius only looks at the `window` newest
    listings passing the other filters (see `search`)."""
    match = fts_query(q.words)
    order = _order(q, bool(match))
    select = [SELECT_COLUMNS]
    select_params: list[Any] = []
    geo: list[str] = []
    geo_params: list[Any] = []
    if q.near is not None:
        lat, lon = q.near
        scale = max(math.cos(math.radians(lat)), 0.01)
        # Squared distance in degrees of latitude.
        select.append("(l.lat - ?) * (l.lat - ?) + (l.lon - ?) * (l.lon - ?) * ? AS d2")
        select_params = [lat, lat, lon, lon, scale * scale]
        if q.within_km is not None:
            dlat = q.within_km / KM_PER_DEGREE
            dlon = min(dlat / scale, 180.0)
            geo = ["l.lat BETWEEN ? AND ? AND l.lon BETWEEN ? AND ?", "d2 <= ?"]
            geo_params = [lat - dlat, lat + dlat, lon - dlon, lon + dlon, dlat * dlat]
        elif order == "nearest":
            geo = ["l.lat IS NOT NULL"]
    elif q.within_km is not None:
        raise ValueError("a distance (within_km) needs a point (near)")
    page = [max(1, min(q.limit, MAX_LIMIT)), max(0, q.offset)]
    order_by = {
        "newest": " ORDER BY l.published DESC, l.num DESC",
        "nearest": " ORDER BY d2, l.published DESC",
        "relevance": " ORDER BY rank, l.published DESC",
    }[order]
    where = ["l.deleted = 0"]
    params: list[Any] = []
    if window is not None:
        if match or order != "newest":
            raise ValueError("a window is for newest-first searches without words")
        _filters(q, where, params, plain="")
        inner = f"SELECT * FROM listings l WHERE {' AND '.join(where)}{order_by} LIMIT ?"
        sql = f"SELECT {', '.join(select)} FROM ({inner}) l WHERE {' AND '.join(geo)}"
        return sql + order_by + " LIMIT ? OFFSET ?", [
            *select_params,
            *params,
            window,
            *geo_params,
            *page,
        ]
    source = "listings l"
    if match:
        source = "listings_fts JOIN listings l ON l.num = listings_fts.rowid"
        where.append("listings_fts MATCH ?")
        params.append(match)
        if order == "relevance":
            select.append("bm25(listings_fts, 4.0, 1.0, 2.0) AS rank")
    where += geo
    params += geo_params
    # Without ANALYZE statistics SQLite takes any equality on an indexed column (status,
    # kind) to be very selective and would walk that index; when the words or the box are
    # the narrow part, the unary + keeps those columns from being used as an index.
    narrow = bool(match) or (q.near is not None and q.within_km is not None)
    _filters(q, where, params, plain="+" if narrow else "")
    sql = f"SELECT {', '.join(select)} FROM {source} WHERE {' AND '.join(where)}"
    return sql + order_by + " LIMIT ? OFFSET ?", [*select_params, *params, *page]


def hashtag_condition(tag: str) -> tuple[str, list[Any]]:
    """Listings carrying the hashtag `tag` (case-insensitive), as
    `fedishare.listings.content.hashtags` makes them: their purpose, `stay` for stays, and
    the place's name with everything but its letters and digits taken out ("Old Town" is
    #OldTown). Tags are not stored, since they follow from these columns.

    Taking the marks out of every place name costs about 1 µs a mark and a row, so the
    full-text index first narrows the place's side to listings with a word of their place's
    name that begins the tag (the name's first word always does). SQLite's lower() folds
    ASCII letters only, so each non-ASCII character of the tag then matches any one
    character (GLOB's ?): #ödeshög still finds "Ödeshög"."""
    name = tag.lower()
    if not name:
        return "0", []
    place = "l.place_name"
    for mark in _PLACE_PUNCTUATION:
        quoted = mark.replace("'", "''")
        place = f"replace({place}, '{quoted}', '')"
    beginnings = " OR ".join(_phrase(name[:n]) for n in range(1, len(name) + 1))
    pattern = "".join(("?" if not c.isascii() else f"[{c}]" if c in "*?[" else c) for c in name)
    alternatives: list[tuple[str, list[Any]]] = []
    if name in PURPOSES:
        alternatives.append(("l.purpose = ?", [name]))
    if name == "stay":
        alternatives.append(("l.kind = 'stay'", []))
    by_place = (
        "l.num IN (SELECT rowid FROM listings_fts WHERE listings_fts MATCH ?)"
        f" AND lower({place}) GLOB ?"
    )
    alternatives.append((by_place, [f"place_name : ({beginnings})", pattern]))
    condition = " OR ".join(f"({sql})" for sql, _ in alternatives)
    return f"({condition})", [value for _, values in alternatives for value in values]


def _phrase(text: str) -> str:
    """`text` as an FTS5 string: operators and punctuation inside it are inert."""
    return '"' + text.replace('"', '""') + '"'


def _walks_newest(q: Query) -> bool:
    """Whether `q` is a newest-first radius search that an index already yields newest first
    (one status, at most one kind, no words, no dates)."""
    return (
        q.near is not None
        and q.within_km is not None
        and q.order == "newest"
        and not fts_query(q.words)
        and len(q.statuses) == 1
        and len(q.kinds) <= 1
        and q.dates is None
    )


def _in(column: str, values: tuple[str, ...], where: list[str], params: list[Any]) -> None:
    if values:
        where.append(f"{column} IN ({marks(values)})")
        params.extend(values)


def _filters(q: Query, where: list[str], params: list[Any], plain: str) -> None:
    _in(f"{plain}l.status", q.statuses, where, params)
    _in(f"{plain}l.kind", q.kinds, where, params)
    _in("l.visibility", q.visibilities, where, params)
    if q.purpose is not None:
        where.append("l.purpose = ?")
        params.append(q.purpose)
    if q.origin is not None:
        where.append("l.remote = ?")
        params.append(int(q.origin == "remote"))
    if q.author is not None:
        where.append("l.author = ?")
        params.append(q.author)
    if q.moderated:
        where.append(LISTING_SHOWN)
        params += [q.viewer or "", q.viewer or ""]
    if q.tag is not None:
        condition, values = hashtag_condition(q.tag)
        where.append(condition)
        params += values
    if q.dates is not None:
        first, last = q.dates
        if last <= first:
            raise ValueError("the dates end before they start")
        where.append(f"{plain}l.kind = 'stay' AND l.start_at < ? AND l.end_at > ?")
        params += [iso(last), iso(first)]
    if q.party_size is not None:
        where.append(f"{plain}l.kind = 'stay' AND l.purpose = 'offer' AND l.capacity >= ?")
        params.append(q.party_size)
    if q.capacity is not None:
        where.append(f"{plain}l.kind = 'stay' AND l.purpose = 'request' AND l.party_size <= ?")
        params.append(q.capacity)


async def search(db: Database | Transaction, q: Query) -> list[Hit]:
    """One page of listings matching `q`; each hit has its distance when `near` was given.

    Newest first within a radius, the box can hold thousands of listings that would all be
    sorted by date. Instead a window of the newest listings is walked (in index order) and
    those in the circle kept: when that fills the page, the page is exact, since everything
    outside the window is older. Otherwise (a sparse area, a deep page) the box is searched."""
    rows = None
    if _walks_newest(q):
        for window in WINDOWS:
            sql, params = build(q, window=window + max(0, q.offset))
            rows = await db.fetch_all(sql, params)
            if len(rows) == max(1, min(q.limit, MAX_LIMIT)):
                break
            rows = None
    if rows is None:
        sql, params = build(q)
        rows = await db.fetch_all(sql, params)
    hits = []
    for row in rows:
        listing = from_row(row)
        distance = None
        place = listing.place
        if q.near is not None and place.latitude is not None and place.longitude is not None:
            distance = haversine_km(q.near[0], q.near[1], place.latitude, place.longitude)
        hits.append(Hit(listing, distance))
    return hits
