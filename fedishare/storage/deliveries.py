"""The delivery queue: claiming due rows, recording what each attempt did, pausing hosts.

A row is `pending` until it ends `delivered`, `failed` or `gone` (at `finished_at`); it is
deleted `[retention] finished_days` later. Claiming a row is a lease: it moves `next_try`
past the end of the attempt (`lease_until`) and counts the attempt, so no other worker, in
this process or another, takes it meanwhile; the holder renews the lease while the attempt
runs. If the process dies mid-attempt nothing more is written, and the row
falls due again when its lease runs out: every delivery is made at least once. On
PostgreSQL, worker processes on several machines claim at once: see `_CLAIM_POSTGRESQL`.

Every function here takes the caller's transaction, so a worker records a batch of outcomes,
renews its leases and claims its next batch in one commit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from fedishare.storage.actors import LocalActor
from fedishare.storage.database import POSTGRESQL, Database, Row, Transaction
from fedishare.storage.rows import from_row

# How far past the per-host due rows a claim looks for rows of other hosts.
_WINDOW_PER_CLAIMED_ROW = 4

State = Literal["delivered", "retry", "failed", "gone", "released"]


@dataclass(frozen=True, slots=True)
class Claim:
    """One leased delivery: send `document` (as stored) to `inbox`, signed by `actor_id`."""

    id: int
    inbox: str
    host: str
    attempts: int  # including the one being made now
    activity_rowid: int
    actor_id: int
    document: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt came to.

    `retry` keeps the row pending until `next_try`; `released` hands back a row whose attempt
    was abandoned (shutdown) without counting it. `host_up` is True when the host answered
    sensibly (its failure count resets), False when it failed (5xx, timeout, refused
    connection: counts toward a pause) and None when the attempt says nothing about it.
    """

    id: int
    host: str
    inbox: str
    state: State
    next_try: float | None = None
    status: int | None = None
    error: str | None = None
    host_up: bool | None = None


_CLAIM = """
WITH held(host, n) AS (SELECT key, value FROM json_each(:held)),
caps(host, cap) AS (
    SELECT h.host, CASE WHEN coalesce(dh.failures, 0) >= :failing THEN 1 ELSE :per_host END
    FROM held h LEFT JOIN delivery_hosts dh ON dh.host = h.host
),
unavailable(host) AS (
    SELECT host FROM delivery_hosts WHERE paused_until > :now
    UNION SELECT c.host FROM caps c JOIN held h ON h.host = c.host WHERE h.n >= c.cap
),
due AS (
    SELECT id, host, next_try FROM deliveries INDEXED BY deliveries_due
    WHERE state = 'pending' AND next_try <= :now
      AND host NOT IN (SELECT host FROM unavailable)
    ORDER BY next_try, id LIMIT :window
),
ranked AS (
    SELECT id, host, next_try,
        row_number() OVER (PARTITION BY host ORDER BY next_try, id) AS rank
    FROM due
)
UPDATE deliveries SET attempts = attempts + 1, next_try = :lease_until
WHERE id IN (
    SELECT r.id FROM ranked r
    LEFT JOIN held h ON h.host = r.host
    LEFT JOIN delivery_hosts dh ON dh.host = r.host
    WHERE r.rank + coalesce(h.n, 0)
        <= CASE WHEN coalesce(dh.failures, 0) >= :failing THEN 1 ELSE :per_host END
    ORDER BY r.next_try, r.id LIMIT :limit
)
RETURNING id, inbox, host, attempts, activity_rowid,
    (SELECT actor_id FROM outbox_activities a WHERE a.id = activity_rowid),
    (SELECT document FROM outbox_activities a WHERE a.id = activity_rowid)
"""


# PostgreSQL: the same claim across worker processes, on one server. Rows are locked as they
# are picked (FOR UPDATE SKIP LOCKED: two processes never pick the same row, and neither
# waits for the other's), and a host's rows in flight are those leased by any process (the
# claim sets lease_until with next_try; a row stays counted while they are equal and ahead:
# an outcome or a hand-back moves next_try, a dead worker's lease runs out), `held` counting
# too where it says more (its rows are among them). Claims take CLAIM_LOCK until their commit,
# so that each counts what the previous one leased: otherwise two processes claiming at once
# would each see the other's rows free, and a host could get twice its cap. A claim that
# finds the lock taken claims nothing this turn. The window is
# ordered by next_try alone: a fan-out's rows share one, and PostgreSQL's index on next_try
# does not keep them by id (SQLite's does, for free), so ordering by id too would sort them
# all; rows that tie come in the index's order (where they are stored, mostly by id).
CLAIM_LOCK = 0x66656471  # pg_advisory_xact_lock key, held from a claim to its commit
_CLAIM_POSTGRESQL = """
WITH held(host, n) AS (
    SELECT key, CAST(value AS BIGINT) FROM jsonb_each_text(CAST(:held AS jsonb))
),
leased(host, n) AS (
    SELECT host, count(*) FROM deliveries
    WHERE lease_until > 0 AND lease_until > :now AND next_try = lease_until
      AND state = 'pending'
    GROUP BY host
),
busy(host, n) AS (
    SELECT coalesce(h.host, l.host), greatest(coalesce(h.n, 0), coalesce(l.n, 0))
    FROM held h FULL JOIN leased l ON l.host = h.host
),
caps(host, cap) AS (
    SELECT b.host, CASE WHEN coalesce(dh.failures, 0) >= :failing THEN 1 ELSE :per_host END
    FROM busy b LEFT JOIN delivery_hosts dh ON dh.host = b.host
),
unavailable(host) AS (
    SELECT host FROM delivery_hosts WHERE paused_until > :now
    UNION SELECT c.host FROM caps c JOIN busy b ON b.host = c.host WHERE b.n >= c.cap
),
due AS (
    SELECT id, host, next_try FROM deliveries
    WHERE state = 'pending' AND next_try <= :now
      AND host NOT IN (SELECT host FROM unavailable)
    ORDER BY next_try LIMIT :window
    FOR UPDATE SKIP LOCKED
),
ranked AS (
    SELECT id, host, next_try,
        row_number() OVER (PARTITION BY host ORDER BY next_try, id) AS rank
    FROM due
)
UPDATE deliveries SET attempts = attempts + 1, next_try = :lease_until,
    lease_until = :lease_until
WHERE id IN (
    SELECT r.id FROM ranked r
    LEFT JOIN busy b ON b.host = r.host
    LEFT JOIN delivery_hosts dh ON dh.host = r.host
    WHERE r.rank + coalesce(b.n, 0)
        <= CASE WHEN coalesce(dh.failures, 0) >= :failing THEN 1 ELSE :per_host END
    ORDER BY r.next_try, r.id LIMIT :limit
)
RETURNING id, inbox, host, attempts, activity_rowid,
    (SELECT actor_id FROM outbox_activities a WHERE a.id = activity_rowid),
    (SELECT document FROM outbox_activities a WHERE a.id = activity_rowid)
"""


async def claim(
    tx: Transaction,
    *,
    now: float,
    lease_until: float,
    limit: int,
    per_host: int,
    held: Mapping[str, int],
    probe_after: int,
) -> list[Claim]:
    """Lease up to `limit` due rows, oldest first, skipping paused hosts, so that no host has
    more than `per_host` in flight counting the `held` ones (host -> rows this worker is
    already sending); on PostgreSQL, counting the rows every worker process has leased. A
    host with `probe_after` failures in a row gets one row at a time (a probe)."""
    if limit <= 0:
        return []
    # Another process claiming at this moment: claim at the next turn rather than wait for
    # its commit, since waiting would hold up every transaction of this process meanwhile.
    if tx.dialect == POSTGRESQL and not await tx.fetch_value(
        "SELECT pg_try_advisory_xact_lock(?)", (CLAIM_LOCK,)
    ):
        return []
    rows = await tx.fetch_all(
        _CLAIM_POSTGRESQL if tx.dialect == POSTGRESQL else _CLAIM,
        {
            "now": now,
            "lease_until": lease_until,
            "limit": limit,
            "window": limit * _WINDOW_PER_CLAIMED_ROW,
            "per_host": per_host,
            "failing": probe_after,
            "held": json.dumps(dict(held)),
        },
    )
    return sorted((Claim(*row) for row in rows), key=lambda c: c.id)


async def hand_back_leases(tx: Transaction, now: float, lease: float) -> int:
    """Make due at once every pending row that is leased (due within `lease` seconds): with
    no worker running anywhere, a lease is a dead worker's (fedishare.workers.presence). A
    retry that falls due within the same seconds is made a little early. Returns how many."""
    return await tx.execute(
        "UPDATE deliveries SET next_try = ? WHERE state = 'pending' AND next_try > ?"
        " AND next_try <= ?",
        (now, now, now + lease),
    )


async def renew(tx: Transaction, ids: Sequence[int], lease_until: float) -> None:
    """Extend the leases of rows still being attempted."""
    if not ids:
        return
    if tx.dialect == POSTGRESQL:  # the lease is what other processes' claims count
        await tx.execute(
            "UPDATE deliveries SET next_try = ?, lease_until = ? WHERE state = 'pending'"
            " AND id IN (SELECT value FROM json_each(?))",
            (lease_until, lease_until, json.dumps(list(ids))),
        )
        return
    await tx.execute(
        "UPDATE deliveries SET next_try = ? WHERE state = 'pending'"
        " AND id IN (SELECT value FROM json_each(?))",
        (lease_until, json.dumps(list(ids))),
    )


async def record(
    tx: Transaction,
    outcomes: Sequence[Outcome],
    now: float,
    pause_for: Callable[[int], float],
) -> None:
    """Write a batch of outcomes, in the order they happened, and the hosts' failure counts;
    a host is paused for `pause_for(failures in a row)` seconds (0: not paused).

    Only pending rows change: if another worker already finished a row whose lease we had
    lost, its result stands.
    """
    by_state: dict[State, list[Outcome]] = {}
    for o in outcomes:
        by_state.setdefault(o.state, []).append(o)
    pending = "WHERE id = ? AND state = 'pending'"
    if done := by_state.get("delivered"):
        await tx.executemany(
            "UPDATE deliveries SET state = 'delivered', last_status = ?, last_error = NULL,"
            f" finished_at = ? {pending}",
            [(o.status, now, o.id) for o in done],
        )
    if retries := by_state.get("retry"):
        await tx.executemany(
            f"UPDATE deliveries SET next_try = ?, last_status = ?, last_error = ? {pending}",
            [(o.next_try, o.status, o.error, o.id) for o in retries],
        )
    if failed := by_state.get("failed"):
        await tx.executemany(
            "UPDATE deliveries SET state = 'failed', last_status = ?, last_error = ?,"
            f" finished_at = ? {pending}",
            [(o.status, o.error, now, o.id) for o in failed],
        )
    if released := by_state.get("released"):
        await tx.executemany(
            f"UPDATE deliveries SET next_try = ?, attempts = max(attempts - 1, 0) {pending}",
            [(now, o.id) for o in released],
        )
    if gone := by_state.get("gone"):
        # The inbox no longer exists: nothing else queued for it will arrive either.
        await tx.executemany(
            "UPDATE deliveries INDEXED BY deliveries_due SET state = 'gone', last_status = ?,"
            " last_error = ?, finished_at = ? WHERE state = 'pending' AND inbox = ?",
            [(o.status, o.error, now, o.inbox) for o in gone],
        )
    await _record_hosts(tx, outcomes, now, pause_for)


async def _record_hosts(
    tx: Transaction, outcomes: Sequence[Outcome], now: float, pause_for: Callable[[int], float]
) -> None:
    # Per host: whether it answered at all in this batch, and its failures since then.
    answered: dict[str, bool] = {}
    failures: dict[str, int] = {}
    errors: dict[str, str | None] = {}
    for o in outcomes:
        if o.host_up is True:
            answered[o.host] = True
            failures[o.host] = 0
        elif o.host_up is False:
            answered.setdefault(o.host, False)
            failures[o.host] = failures.get(o.host, 0) + 1
            errors[o.host] = o.error
    # Hosts that answered and have not failed since: one statement for all of them.
    recovered = [(host,) for host, up in answered.items() if up and failures[host] == 0]
    if recovered:
        await tx.executemany(
            "UPDATE delivery_hosts SET failures = 0, paused_until = 0, last_error = NULL,"
            " failing_since = NULL WHERE host = ? AND (failures > 0 OR paused_until > 0)",
            recovered,
        )
    for host, up in answered.items():
        count = failures[host]
        if count == 0:
            continue
        row = await tx.fetch_one(
            "INSERT INTO delivery_hosts (host, failures, last_error, failing_since)"
            " VALUES (?, ?, ?, ?)"
            " ON CONFLICT (host) DO UPDATE SET last_error = excluded.last_error,"
            " failing_since = CASE WHEN ? OR delivery_hosts.failures = 0"
            " THEN excluded.failing_since"
            " ELSE coalesce(delivery_hosts.failing_since, excluded.failing_since) END,"
            " failures = CASE WHEN ? THEN excluded.failures"
            " ELSE delivery_hosts.failures + excluded.failures END"
            " RETURNING failures",
            (host, count, errors.get(host), now, up, up),
        )
        pause = pause_for(int(row[0])) if row is not None else 0.0
        await tx.execute(
            "UPDATE delivery_hosts SET paused_until = ? WHERE host = ?",
            (now + pause if pause else 0.0, host),
        )


async def end_follows_at(
    tx: Transaction, inboxes: Sequence[str]
) -> tuple[list[tuple[str, str]], list[str]]:
    """Remove the follows of other servers' actors whose personal inbox is one of `inboxes`
    (they answered 410 Gone: nothing more can reach those actors).

    Returns the (follower, followee) pairs removed, and which of `inboxes` are only some
    actors' shared inbox: a shared inbox answering 410 says nothing about any one actor (it
    may be retired while every actor behind it lives on, and any actor can name any URL as
    its `sharedInbox`), so it ends no follows."""
    if not inboxes:
        return [], []
    params = {"inboxes": json.dumps(list(inboxes))}
    rows = await tx.fetch_all(
        "DELETE FROM follows WHERE follower IN (SELECT id FROM remote_actors"
        " WHERE inbox IN (SELECT value FROM json_each(:inboxes)))"
        " RETURNING follower, followee",
        params,
    )
    shared = await tx.fetch_all(
        "SELECT DISTINCT shared_inbox FROM remote_actors"
        " WHERE shared_inbox IN (SELECT value FROM json_each(:inboxes))"
        " AND shared_inbox NOT IN (SELECT inbox FROM remote_actors"
        " WHERE inbox IN (SELECT value FROM json_each(:inboxes)))"
        " ORDER BY shared_inbox",
        params,
    )
    return [(str(r[0]), str(r[1])) for r in rows], [str(r[0]) for r in shared]


async def delete_finished(tx: Transaction, before: float, limit: int) -> int:
    """Delete up to `limit` rows that finished before `before`; return how many went.

    The activities they carried stay in `outbox_activities` (the outbox collection serves
    them, and other rows may still be pending)."""
    return await tx.execute(
        "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries INDEXED BY"
        " deliveries_finished WHERE finished_at < ? AND state != 'pending' LIMIT ?)",
        (before, limit),
    )


async def load_sender(db: Database, actor_id: int) -> LocalActor | None:
    """The local actor whose key signs a delivery."""
    row = await db.fetch_one("SELECT * FROM local_actors WHERE id = ?", (actor_id,))
    return None if row is None else from_row(LocalActor, row)


# --- reading the queue (operators, tests) --------------------------------------------------


async def get(db: Database | Transaction, delivery_id: int) -> Row | None:
    return await db.fetch_one("SELECT * FROM deliveries WHERE id = ?", (delivery_id,))


async def for_activity(db: Database | Transaction, activity_rowid: int) -> list[Row]:
    return await db.fetch_all(
        "SELECT * FROM deliveries WHERE activity_rowid = ? ORDER BY id", (activity_rowid,)
    )


async def count_by_state(db: Database | Transaction) -> dict[str, int]:
    rows = await db.fetch_all("SELECT state, count(*) FROM deliveries GROUP BY state")
    return {r[0]: int(r[1]) for r in rows}


async def get_host(db: Database | Transaction, host: str) -> Row | None:
    return await db.fetch_one("SELECT * FROM delivery_hosts WHERE host = ?", (host,))


async def failing_hosts(db: Database, limit: int = 100) -> list[Row]:
    """Hosts whose last attempts failed, paused ones first, then by failures in a row: what
    an operator looks at when a server seems unreachable (host, failures, failing_since,
    paused_until, last_error)."""
    return await db.fetch_all(
        "SELECT * FROM delivery_hosts WHERE failures > 0 OR paused_until > 0"
        " ORDER BY paused_until > 0 DESC, failures DESC, host LIMIT ?",
        (limit,),
    )


async def next_due(db: Database) -> float | None:
    """When the earliest pending row falls due (None: the queue is empty)."""
    value = await db.fetch_value("SELECT min(next_try) FROM deliveries WHERE state = 'pending'")
    return None if value is None else float(value)
