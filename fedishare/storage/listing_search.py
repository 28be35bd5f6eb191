"""Finding listings: by purpose and kind, status, words, distance, stay dates and party size,
ours and other servers' together, newest, nearest or most relevant first, a page at a time.

Distance is filtered and ordered in SQL without trigonometry: a bounding box on the indexed
latitude and longitude, then the equirectangular distance (longitude scaled by the cosine of
the search point's latitude). Within the 50 km a search may cover, its error is far below the
kilometre to which every stored position is already rounded. The exact (haversine) distance
is computed afterwards for the page returned.

PostgreSQL (`Database.dialect`) gives the same listings in the same order as SQLite for the
same data. Where its SQL differs, `build` and `hashtag_condition` say so, one place each:

- words: SQLite's FTS5 MATCH; on PostgreSQL the tsvector of `listings_fts` (GIN-indexed)
  holds the very tokens FTS5 makes (`fedishare.storage.fts_tokens`), and every word must
  match as a prefix (``'word':*``);
- relevance: FTS5's bm25(listings_fts, 4.0, 1.0, 2.0); on PostgreSQL the same formula over
  the same counts (FTS5's totals are kept in ``listings_fts_totals``, each entry's number
  of words in ``listings_fts.size``, the weighted occurrences read from the tsvector), in the
  same floating-point operations, so equal to the last bit;
- the distance: SQLite lets WHERE name a result column (``d2``), PostgreSQL does not;
- hashtags: a place's words through the place-name index, and a regular expression for
  SQLite's GLOB (lower() folds ASCII only in both).

Ties break the same way in both: newest, then the later-stored listing (``num``).

What may still differ, in relevance only: a tsvector keeps at most 256 positions of one word
in one listing, and none past 16,383 (a description is at most 20,000 characters), so a
listing that repeats a word more than 256 times ranks differently.
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
from fedishare.storage.database import POSTGRESQL, SQLITE, Database, Dialect, Transaction
from fedishare.storage.fts_tokens import tokens
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
    # Followers-only listings are left out unless the caller knows the viewer may see them
    # (or names `viewer`, below).
    visibilities: tuple[Visibility, ...] = ("public", "unlisted")
    author: str | None = None
    tag: str | None = None  # a hashtag name, without '#' (see `hashtag_condition`)
    # Listings by authors admins keep out (`fedishare.storage.hidden_authors`) are left out;
    # a silenced author's still show to `viewer` (an actor id) if they follow them.
    moderated: bool = True
    # Who is looking (an actor id). Besides the silenced authors above, they also see their
    # own followers-only listings and those of the authors they follow (an accepted follow),
    # as `fedishare.listings.audience.may_see` decides for one listing.
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


def word_tokens(words: str) -> list[list[str]]:
    """The words of `fts_query`, each as the tokens FTS5 makes of it, words without any
    left out (FTS5 ignores an empty phrase beside others)."""
    found = (tokens(w) for w in _WORD.findall(words)[:MAX_WORDS])
    return [t for t in found if t]


def _tsquery(word: list[str]) -> str:
    """One word as PostgreSQL's tsquery text: its tokens in a row, the last as a prefix.
    Tokens hold no quote, backslash or space (all separators)."""
    return " <-> ".join(f"'{t}'" for t in word) + ":*"


@dataclass(frozen=True)
class Statistics:
    """What BM25 needs beside each entry's own counts, as FTS5 keeps them: the average
    number of words of an entry, and each word's inverse document frequency."""

    average: float
    idf: tuple[float, ...]


# FTS5's bm25 constants (fts5_aux.c).
_K1 = 1.2
_B = 0.75


async def statistics(db: Database | Transaction, words: str) -> Statistics:
    """PostgreSQL's counts for ranking `words` as FTS5 ranks them: IDF is
    log((N - n + 0.5) / (n + 0.5)) over N entries of which n match, or 1e-6 where that is
    not positive, computed in Python's floats (C doubles, as in SQLite)."""
    found = word_tokens(words)
    counts = "".join(
        ", (SELECT count(*) FROM listings_fts WHERE document @@ CAST(? AS tsquery))" for _ in found
    )
    row = await db.fetch_one(
        "SELECT (SELECT coalesce(sum(entries), 0) FROM listings_fts_totals),"
        f" (SELECT coalesce(sum(words), 0) FROM listings_fts_totals){counts}",
        [_tsquery(w) for w in found],
    )
    assert row is not None
    entries, size = int(row[0]), int(row[1])
    idf = []
    for i in range(len(found)):
        hits = row[2 + i]
        value = math.log((entries - int(hits) + 0.5) / (int(hits) + 0.5))
        idf.append(value if value > 0.0 else 1e-6)
    return Statistics(size / entries if entries else 0.0, tuple(idf))


def _bm25(found: list[list[str]], stats: Statistics) -> tuple[str, list[Any], str, list[Any]]:
    """PostgreSQL's `bm25(listings_fts, 4.0, 1.0, 2.0)`: the rank and its parameters, and a
    LATERAL join that counts each word's occurrences in the entry, weighted by column, and
    its parameters.

    Written as fts5_aux.c computes it, operation by operation, so that the doubles come out
    the same: score = sum of idf * (f * (k1 + 1)) / (f + k1 * (1 - b + b * D / avgdl)),
    rank = -score. f sums 4 per occurrence in the title (weight A), 2 in the place (B) and
    1 in the description (C); D is the entry's number of words."""
    if len(stats.idf) != len(found):
        raise ValueError("the statistics are for other words")
    real = "CAST(? AS double precision)"
    # One-token words are counted in one pass over the entry's words (`f`), phrases each
    # on their own (`g`).
    counts: dict[str, list[str]] = {"f": [], "g": []}
    count_params: dict[str, list[Any]] = {"f": [], "g": []}
    terms: list[str] = []
    rank_params: list[Any] = []
    weight = "CASE x.w WHEN 'A' THEN 4 WHEN 'B' THEN 2 ELSE 1 END"
    for i, (word, idf) in enumerate(zip(found, stats.idf, strict=True)):
        if len(word) == 1:
            # Each occurrence of a word beginning with the token.
            side = "f"
            counts[side].append(
                "CAST(coalesce(sum(CASE WHEN starts_with(u.lexeme, ?) THEN"
                " 4 * cardinality(array_positions(u.weights, 'A'))"
                " + 2 * cardinality(array_positions(u.weights, 'B'))"
                " + cardinality(array_positions(u.weights, 'C')) END), 0)"
                f" AS double precision) AS f{i}"
            )
        else:
            # A phrase: each position of its first token followed by the others, the last
            # as a prefix (the columns' positions are apart: no phrase spans two).
            side = "g"
            follows = " AND ".join(
                "EXISTS (SELECT 1 FROM unnest(listings_fts.document) n, unnest(n.positions) q"
                f" WHERE {'starts_with(n.lexeme, ?)' if j == len(word) - 1 else 'n.lexeme = ?'}"
                f" AND q = x.p + {j})"
                for j in range(1, len(word))
            )
            counts[side].append(
                f"CAST((SELECT coalesce(sum({weight}), 0)"
                " FROM unnest(listings_fts.document) a, unnest(a.positions, a.weights) x(p, w)"
                f" WHERE a.lexeme = ? AND {follows}) AS double precision) AS f{i}"
            )
        count_params[side] += word
        f = f"{side}.f{i}"
        terms.append(
            f"{real} * (({f} * {real}) / ({f} + {real} * ({real} + {real}"
            f" * listings_fts.size / {real})))"
        )
        rank_params += [idf, _K1 + 1.0, _K1, 1 - _B, _B, stats.average]
    lateral = ""
    if counts["f"]:
        lateral += (
            f" CROSS JOIN LATERAL (SELECT {', '.join(counts['f'])}"
            " FROM unnest(listings_fts.document) u) f"
        )
    if counts["g"]:
        lateral += f" CROSS JOIN LATERAL (SELECT {', '.join(counts['g'])}) g"
    rank = f"-({' + '.join(terms)}) AS rank"
    return rank, rank_params, lateral, [*count_params["f"], *count_params["g"]]


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


def build(
    q: Query,
    *,
    window: int | None = None,
    dialect: Dialect = SQLITE,
    stats: Statistics | None = None,
) -> tuple[str, list[Any]]:
    """The SQL and parameters for `q` (separate so that tests and the benchmark can EXPLAIN).

    With `window`, a newest-first search within a radius only looks at the `window` newest
    listings passing the other filters (see `search`). On PostgreSQL, ranking by relevance
    needs `stats` (`statistics`)."""
    match = fts_query(q.words)
    order = _order(q, bool(match))
    postgres = dialect == POSTGRESQL
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
            if postgres:
                # PostgreSQL's WHERE cannot name a result column: the distance again.
                geo[1] = select[-1].removesuffix(" AS d2") + " <= ?"
                geo_params[4:4] = select_params
        elif order == "nearest":
            geo = ["l.lat IS NOT NULL"]
    elif q.within_km is not None:
        raise ValueError("a distance (within_km) needs a point (near)")
    page = [max(1, min(q.limit, MAX_LIMIT)), max(0, q.offset)]
    # The later-stored listing first among equals, so that both databases break ties alike.
    order_by = {
        "newest": " ORDER BY l.published DESC, l.num DESC",
        "nearest": " ORDER BY d2, l.published DESC, l.num DESC",
        "relevance": " ORDER BY rank, l.published DESC, l.num DESC",
    }[order]
    where = ["l.deleted = 0"]
    params: list[Any] = []
    if window is not None:
        if match or order != "newest":
            raise ValueError("a window is for newest-first searches without words")
        _filters(q, where, params, plain="", dialect=dialect)
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
    source_params: list[Any] = []
    if match and postgres:
        # PostgreSQL: the tsvector holds FTS5's tokens; every word's must be there, the
        # last token of each as a prefix. Words FTS5 makes no token of are left out, as FTS5
        # does, unless no word is left: then nothing matches, as in FTS5.
        found = word_tokens(q.words)
        source = "listings_fts JOIN listings l ON l.num = listings_fts.rowid"
        if not found:
            where.append("0 = 1")
        else:
            where.append("listings_fts.document @@ CAST(? AS tsquery)")
            params.append(" & ".join(_tsquery(w) for w in found))
        if order == "relevance":
            if stats is None:
                raise ValueError("ranking on PostgreSQL needs the statistics")
            if not found:
                select.append("0 AS rank")
            else:
                rank, rank_params, lateral, source_params = _bm25(found, stats)
                select.append(rank)
                select_params = [*select_params, *rank_params]
                source += lateral
    elif match:
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
    _filters(q, where, params, plain="+" if narrow else "", dialect=dialect)
    sql = f"SELECT {', '.join(select)} FROM {source} WHERE {' AND '.join(where)}"
    return sql + order_by + " LIMIT ? OFFSET ?", [*select_params, *source_params, *params, *page]


def hashtag_condition(tag: str, dialect: Dialect = SQLITE) -> tuple[str, list[Any]]:
    """Listings carrying the hashtag `tag` (case-insensitive), as
    `fedishare.listings.content.hashtags` makes them: their purpose, `stay` for stays, and
    the place's name with everything but its letters and digits taken out ("Old Town" is
    #OldTown). Tags are not stored, since they follow from these columns.

    Taking the marks out of every place name costs about 1 µs a mark and a row, so the
    full-text index first narrows the place's side to listings with a word of their place's
    name that begins the tag (the name's first word always does). SQLite's lower() folds
    ASCII letters only, so each non-ASCII character of the tag then matches any one
    character (GLOB's ?): #ödeshög still finds "Ödeshög".

    On PostgreSQL the place's words are those of FTS5 too (`fts_tokens`, indexed as
    ``fedishare_tokens(place_name)``), and GLOB is a regular expression (lower() under
    COLLATE "C" also folds ASCII only).
    """
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
    if dialect == POSTGRESQL:
        # A phrase of several tokens needs its first, itself a one-token beginning.
        starts = (tokens(name[:n]) for n in range(1, len(name) + 1))
        words = sorted({t[0] for t in starts if len(t) == 1})
        expression = "".join("." if not c.isascii() else re.escape(c) for c in name)
        by_place = (
            "l.num IN (SELECT rowid FROM listings_fts"
            " WHERE fedishare_tokens(place_name) && CAST(? AS text[]))"
            f" AND lower({place}) ~ ?"
        )
        alternatives.append((by_place, [words, f"^{expression}$"]))
    else:
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


# A followers-only listing that the viewer wrote or whose author they follow (both
# parameters are the viewer's actor id).
FOLLOWERS_ONLY_SEEN = (
    "(l.visibility = 'followers' AND (l.author = ? OR EXISTS (SELECT 1 FROM follows f"
    " WHERE f.follower = ? AND f.followee = l.author AND f.state = 'accepted')))"
)


def _visible(q: Query, where: list[str], params: list[Any]) -> None:
    if q.viewer is None or not q.visibilities or "followers" in q.visibilities:
        _in("l.visibility", q.visibilities, where, params)  # () is any visibility
        return
    where.append(f"(l.visibility IN ({marks(q.visibilities)}) OR {FOLLOWERS_ONLY_SEEN})")
    params += [*q.visibilities, q.viewer, q.viewer]


def _filters(q: Query, where: list[str], params: list[Any], plain: str, dialect: Dialect) -> None:
    _in(f"{plain}l.status", q.statuses, where, params)
    _in(f"{plain}l.kind", q.kinds, where, params)
    _visible(q, where, params)
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
        condition, values = hashtag_condition(q.tag, dialect)
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
    dialect = db.dialect
    if _walks_newest(q):
        for window in WINDOWS:
            sql, params = build(q, window=window + max(0, q.offset), dialect=dialect)
            rows = await db.fetch_all(sql, params)
            if len(rows) == max(1, min(q.limit, MAX_LIMIT)):
                break
            rows = None
    if rows is None:
        stats = None
        if dialect == POSTGRESQL and _order(q, bool(fts_query(q.words))) == "relevance":
            stats = await statistics(db, q.words)
        sql, params = build(q, dialect=dialect, stats=stats)
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
