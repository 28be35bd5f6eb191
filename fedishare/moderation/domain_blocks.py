"""Admins block, silence and unblock other servers' domains (and their subdomains).

A block (severity 'suspend') takes effect at once in this process (`inst.domains`); other
processes of the instance reload the list at once on PostgreSQL (fedishare.storage.signals),
and within `RELOAD_SECONDS` in any case (fedishare.lifecycle).
Blocking also ends what is under way with the domain: deliveries queued to it fail with
a reason, activities received from it and not yet handled are dropped, and follows between
its actors and ours are removed. Unblocking lets it federate again; the follows do not come
back (its people follow again).

A silence (Mastodon's "limit") lets the domain federate, follows and answers included, but
its listings and statuses stay out of the board, search and public timelines for those who
do not follow the author. Both leave searches and timelines at once, in every process: they
read `hidden_authors` (fedishare.moderation.hiding), rewritten in the same transaction.
"""

from __future__ import annotations

import re

from fedishare.context import Instance
from fedishare.core.activitystreams import host_or_none
from fedishare.core.domain_policy import SEVERITIES, DomainPolicy, Severity, domain_of, within
from fedishare.core.errors import Invalid, NotFound
from fedishare.moderation import hiding
from fedishare.storage import account_moderation, follows, inbox_items, signals
from fedishare.storage import domain_blocks as store
from fedishare.storage.actors import LocalActor
from fedishare.storage.database import Transaction
from fedishare.storage.domain_blocks import DomainBlock

RELOAD_SECONDS = 30.0  # how stale another process's copy of the list may be
MAX_REASON = 500
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*$")


def normal_domain(text: str, inst: Instance) -> str:
    """The domain an admin typed (a pasted URL or an internationalised name will do),
    lower-case and in its ASCII form; Invalid("domain: …") if it is not one, or is ours."""
    text = text.strip().lower().rstrip(".")
    if not text:
        raise Invalid("domain: required")
    if "://" in text:  # a pasted address: its host
        text = host_or_none(text) or ""
        text = domain_of(text) if text and not text.startswith("[") else ""
    try:
        domain = text.encode("idna").decode("ascii")
    except UnicodeError:
        domain = ""
    if not _DOMAIN.match(domain):
        raise Invalid("domain: not a domain name (like spam.example)")
    if within(inst.config.instance.domain, domain):
        raise Invalid("domain: this is our own domain")
    return domain


def severity_of(text: str) -> Severity:
    for severity in SEVERITIES:
        if text == severity:
            return severity
    raise Invalid("severity: suspend or silence")


def _reason(text: str) -> str:
    reason = text.strip()
    if len(reason) > MAX_REASON:
        raise Invalid(f"reason: at most {MAX_REASON} characters")
    return reason


async def block(
    inst: Instance, domain: str, reason: str, by: LocalActor, severity: str = "suspend"
) -> DomainBlock:
    """Block (or silence) `domain` and, for a block, end what is under way with it; Invalid
    if it is malformed, ours or blocked already."""
    domain = normal_domain(domain, inst)
    entry = await _insert(inst, domain, _reason(reason), by, severity_of(severity))
    if entry is None:
        raise Invalid("domain: already blocked")
    return entry


async def block_many(
    inst: Instance, entries: list[tuple[str, Severity, str]], by: LocalActor
) -> tuple[int, int]:
    """Block or silence each (domain, severity, reason) not moderated yet, in one
    transaction; return (added, already there). The domains must be normal already."""
    now = inst.clock().timestamp()
    added = 0
    async with inst.db.transaction() as tx:
        for domain, severity, reason in entries:
            if inst.domains.configured_block(domain):
                continue
            if await store.insert(tx, DomainBlock(domain, reason, now, by.id, severity)):
                added += 1
                if severity == "suspend":
                    await _end_exchanges(inst, tx, domain, now)
        policy = await apply(inst, tx)
    take(inst, policy)
    return added, len(entries) - added


async def change(inst: Instance, domain: str, severity: str, reason: str) -> None:
    """Change a block's severity (a silence made a block ends what is under way) and
    reason; NotFound if the domain is not blocked from the web."""
    domain = domain.strip().lower()
    chosen, reason = severity_of(severity), _reason(reason)
    async with inst.db.transaction() as tx:
        if not await store.update(tx, domain, chosen, reason):
            raise NotFound("domain: not blocked")
        if chosen == "suspend":
            await _end_exchanges(inst, tx, domain, inst.clock().timestamp())
        policy = await apply(inst, tx)
    take(inst, policy)


async def unblock(inst: Instance, domain: str) -> None:
    """Let `domain` federate again (unless instance.toml blocks it) and show its posts;
    NotFound if it was not blocked from the web."""
    domain = domain.strip().lower()
    async with inst.db.transaction() as tx:
        if not await store.delete(tx, domain):
            raise NotFound("domain: not blocked")
        policy = await apply(inst, tx)
    take(inst, policy)


async def blocks(inst: Instance) -> list[DomainBlock]:
    return await store.all_blocks(inst.db)


async def start(inst: Instance) -> None:
    """At startup: take the lists and rebuild `hidden_authors` whole. instance.toml's
    [federation] allow and block may have changed since the last run, and only a rebuild
    applies them to the authors already stored (`reload` only tops the set up)."""
    async with inst.db.transaction() as tx:
        policy = await apply(inst, tx)
    take(inst, policy)


async def reload(inst: Instance) -> None:
    """Take the lists as the database has them now (another process may have changed them)
    and hide the authors a silence covers that were first seen since the last pass."""
    inst.domains.replace_blocked(await store.domains(inst.db, "suspend"))
    inst.domains.replace_moderation(
        await store.domains(inst.db, "silence"), await account_moderation.blocked_uris(inst.db)
    )
    await hiding.top_up(inst)


async def _insert(
    inst: Instance, domain: str, reason: str, by: LocalActor, severity: Severity
) -> DomainBlock | None:
    if inst.domains.configured_block(domain):
        raise Invalid("domain: already blocked in instance.toml")
    now = inst.clock().timestamp()
    entry = DomainBlock(domain, reason, now, by.id, severity)
    async with inst.db.transaction() as tx:
        if not await store.insert(tx, entry):
            return None
        if severity == "suspend":
            await _end_exchanges(inst, tx, domain, now)
        policy = await apply(inst, tx)
    take(inst, policy)
    return entry


async def apply(inst: Instance, tx: Transaction) -> DomainPolicy:
    """Hide what the lists as `tx` has them hide; the policy they make, for `take` once
    `tx` is committed (memory never runs ahead of the database)."""
    policy = DomainPolicy(inst.config.federation, await store.domains(tx, "suspend"))
    policy.replace_moderation(
        await store.domains(tx, "silence"), await account_moderation.blocked_uris(tx)
    )
    await hiding.recompute(policy, tx)
    await signals.send(tx, signals.BLOCKS)  # the other processes take it at once
    return policy


def take(inst: Instance, policy: DomainPolicy) -> None:
    """Make `policy`'s lists this process's."""
    inst.domains.replace_blocked(policy.blocked)
    inst.domains.replace_moderation(policy.silenced, policy.accounts)


async def _end_exchanges(inst: Instance, tx: Transaction, domain: str, now: float) -> None:
    reason = f"{domain} was blocked by an admin"
    hosts = [h for h in await store.pending_delivery_hosts(tx) if within(h, domain)]
    await store.end_deliveries(tx, hosts, reason, now)
    unhandled = [
        (item_id, reason)
        for item_id, actor in await store.received_naming(tx, domain)
        if _on(actor, domain)
    ]
    await inbox_items.mark_failed(tx, unhandled, now)
    ours = inst.urls.is_ours
    for follower, followee in await store.follows_naming(tx, domain):
        if (_on(follower, domain) and ours(followee)) or (_on(followee, domain) and ours(follower)):
            await follows.remove(tx, follower, followee)


def _on(actor: str, domain: str) -> bool:
    host = host_or_none(actor)
    return host is not None and within(host, domain)
