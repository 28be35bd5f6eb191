"""Domains admins blocked or silenced from the web (`severity`: 'suspend' or 'silence'), and
finding what a new block ends: deliveries queued to the domain, activities received from it
and not yet handled, follows with its actors.

Which host is within a domain is decided in Python (`fedishare.core.domain_policy.within`),
the one rule the inbox uses too; the queries here only narrow the candidates.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from fedishare.storage.database import Database, Transaction
from fedishare.storage.rows import from_row


@dataclass(frozen=True)
class DomainBlock:
    domain: str
    reason: str
    created_at: float
    created_by: int | None  # the admin; None once their account is gone
    severity: str = "suspend"  # or "silence"


async def insert(tx: Transaction, block: DomainBlock) -> bool:
    """Record a block; False if the domain is blocked already."""
    changed = await tx.execute(
        "INSERT INTO domain_blocks (domain, reason, created_at, created_by, severity)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (domain) DO NOTHING",
        (block.domain, block.reason, block.created_at, block.created_by, block.severity),
    )
    return changed > 0


async def update(tx: Transaction, domain: str, severity: str, reason: str) -> bool:
    """Change a block's severity and reason; False if the domain is not blocked."""
    changed = await tx.execute(
        "UPDATE domain_blocks SET severity = ?, reason = ? WHERE domain = ?",
        (severity, reason, domain),
    )
    return changed > 0


async def find(db: Database | Transaction, domain: str) -> DomainBlock | None:
    row = await db.fetch_one("SELECT * FROM domain_blocks WHERE domain = ?", (domain,))
    return None if row is None else from_row(DomainBlock, row)


async def delete(tx: Transaction, domain: str) -> bool:
    return await tx.execute("DELETE FROM domain_blocks WHERE domain = ?", (domain,)) > 0


async def all_blocks(db: Database | Transaction) -> list[DomainBlock]:
    rows = await db.fetch_all("SELECT * FROM domain_blocks ORDER BY domain")
    return [from_row(DomainBlock, r) for r in rows]


async def domains(db: Database | Transaction, severity: str = "suspend") -> list[str]:
    """The domains blocked with `severity` (by default, those that may not federate)."""
    rows = await db.fetch_all("SELECT domain FROM domain_blocks WHERE severity = ?", (severity,))
    return [r[0] for r in rows]


# --- what a block ends ------------------------------------------------------------------------


async def pending_delivery_hosts(tx: Transaction) -> list[str]:
    rows = await tx.fetch_all(
        "SELECT DISTINCT host FROM deliveries INDEXED BY deliveries_due WHERE state = 'pending'"
    )
    return [r[0] for r in rows]


async def end_deliveries(tx: Transaction, hosts: Sequence[str], reason: str, now: float) -> int:
    """Mark the pending deliveries to `hosts` failed with `reason`; return how many.

    A worker holding one of them mid-attempt finds it no longer pending and leaves it be."""
    if not hosts:
        return 0
    return await tx.execute(
        "UPDATE deliveries SET state = 'failed', last_error = ?, finished_at = ?"
        " WHERE state = 'pending' AND host IN (SELECT value FROM json_each(?))",
        (reason, now, json.dumps(list(hosts))),
    )


async def received_naming(tx: Transaction, domain: str) -> list[tuple[int, str]]:
    """(id, actor) of inbox items not yet handled whose actor mentions `domain`."""
    rows = await tx.fetch_all(
        "SELECT id, actor FROM inbox_items WHERE state = 'received' AND instr(actor, ?) > 0",
        (domain,),
    )
    return [(int(r[0]), r[1]) for r in rows]


async def follows_naming(tx: Transaction, domain: str) -> list[tuple[str, str]]:
    """(follower, followee) of the follows where either side mentions `domain`."""
    rows = await tx.fetch_all(
        "SELECT follower, followee FROM follows WHERE instr(follower, ?) > 0"
        " OR instr(followee, ?) > 0",
        (domain, domain),
    )
    return [(r[0], r[1]) for r in rows]
