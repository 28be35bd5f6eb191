"""Rate-limit buckets shared by the web processes of an instance on PostgreSQL.

Each web process keeps its buckets in memory (fedishare.core.rate_limit) and, every second
or so, exchanges what it took since the last exchange for what all processes left
(`exchange`). Over time a limit holds across processes exactly: what one process let
through is taken from the shared bucket, which may go below empty, and then every process
refuses until it has refilled. Within a second, each process may let through what its own
copy of the bucket held. On SQLite one web process serves the instance, and nothing here
is used.

The table is UNLOGGED on PostgreSQL: after a crash of the server the buckets start full,
which costs nothing worth a write to the log on every exchange.
"""

from __future__ import annotations

from collections.abc import Mapping

from fedishare.storage.database import Database

_EXCHANGE = """
INSERT INTO rate_buckets (name, key, tokens, updated)
SELECT :name, t.key, :capacity - t.used, :now
FROM unnest(CAST(:keys AS text[]), CAST(:used AS double precision[])) AS t(key, used)
ON CONFLICT (name, key) DO UPDATE SET
    tokens = least(:capacity, rate_buckets.tokens + (:now - rate_buckets.updated) * :rate)
        - (:capacity - excluded.tokens),
    updated = :now
RETURNING key, tokens
"""


async def exchange(
    db: Database,
    name: str,
    *,
    capacity: float,
    rate: float,
    now: float,
    used: Mapping[str, float],
) -> dict[str, float]:
    """Take `used` tokens (key -> tokens this process took since the last exchange; 0 to
    only read) from the shared buckets of `name`, each refilled at `rate` a second up to
    `capacity`; return the tokens each bucket holds now."""
    if not used:
        return {}
    keys = sorted(used)
    async with db.transaction() as tx:
        rows = await tx.fetch_all(
            _EXCHANGE,
            {
                "name": name,
                "capacity": capacity,
                "rate": rate,
                "now": now,
                "keys": keys,
                "used": [float(used[k]) for k in keys],
            },
        )
    return {row[0]: float(row[1]) for row in rows}
