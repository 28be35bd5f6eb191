"""Keeping `hidden_authors` (what searches, the board and public timelines leave out) in step
with the admins' decisions: recomputed whole when a block, silence or account block changes
and at every start (instance.toml's lists may have changed meanwhile:
`domain_blocks.start`), and topped up with authors first seen since (`top_up`, run with each
reload of the lists).

A new author under a silenced domain is therefore hidden within `RELOAD_SECONDS` of their
first listing; authors already known are hidden the moment the silence is made. (Suspended
domains and blocked accounts send nothing new: the inbox and fetches refuse them.)
"""

from __future__ import annotations

from collections.abc import Iterable

from fedishare.context import Instance
from fedishare.core.activitystreams import host_or_none
from fedishare.core.domain_policy import DomainPolicy
from fedishare.storage import hidden_authors as store
from fedishare.storage.database import Transaction


def severities(policy: DomainPolicy, authors: Iterable[str]) -> dict[str, str]:
    """author -> 'suspend' or 'silence', for those of `authors` the policy keeps out."""
    hidden: dict[str, str] = {}
    for author in authors:
        if author in policy.accounts:
            hidden[author] = "suspend"
            continue
        host = host_or_none(author)
        severity = policy.severity(host) if host is not None else None
        if severity is not None:
            hidden[author] = severity
    return hidden


async def recompute(policy: DomainPolicy, tx: Transaction) -> None:
    """Hide exactly what `policy` keeps out."""
    authors, seen = await store.authors_after(tx, {"listings": 0, "statuses": 0})
    authors |= await store.known_actors(tx)
    await store.replace(tx, severities(policy, authors), seen)


async def top_up(inst: Instance) -> int:
    """Hide the authors first seen since the last pass that a silence covers; return how
    many. Nothing is written while no domain is silenced."""
    if not inst.domains.silenced:
        return 0
    since = await store.marks(inst.db)
    authors, seen = await store.authors_after(inst.db, since)
    if seen == since:
        return 0
    hidden = severities(inst.domains, authors)
    async with inst.db.transaction() as tx:
        await store.add(tx, hidden, seen)
    return len(hidden)
