"""Admins block and unblock other servers' domains (and their subdomains).

A block takes effect at once in this process (`inst.domains`); other processes of the
instance reload the list within `RELOAD_SECONDS` (fedishare.lifecycle). Blocking also ends
what is under way with the domain, as a suspension does: deliveries queued to it fail with
a reason, activities received from it and not yet handled are dropped, and follows between
its actors and ours are removed. Unblocking lets it federate again; the follows do not come
back (its people follow again).
"""

from __future__ import annotations

import re

from fedishare.context import Instance
from fedishare.core.activitystreams import host_or_none
from fedishare.core.domain_policy import domain_of, within
from fedishare.core.errors import Invalid, NotFound
from fedishare.storage import domain_blocks as store
from fedishare.storage import follows, inbox_items
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


async def block(inst: Instance, domain: str, reason: str, by: LocalActor) -> DomainBlock:
    """Block `domain` and end what is under way with it; Invalid if it is malformed, ours or
    blocked already."""
    domain = normal_domain(domain, inst)
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise Invalid(f"reason: at most {MAX_REASON} characters")
    if inst.domains.configured_block(domain):
        raise Invalid("domain: already blocked in instance.toml")
    now = inst.clock().timestamp()
    entry = DomainBlock(domain, reason, now, by.id)
    async with inst.db.transaction() as tx:
        if not await store.insert(tx, entry):
            raise Invalid("domain: already blocked")
        await _end_exchanges(inst, tx, domain, now)
        blocked = await store.domains(tx)
    inst.domains.replace_blocked(blocked)
    return entry


async def unblock(inst: Instance, domain: str) -> None:
    """Let `domain` federate again (unless instance.toml blocks it); NotFound if it was not
    blocked from the web."""
    domain = domain.strip().lower()
    async with inst.db.transaction() as tx:
        if not await store.delete(tx, domain):
            raise NotFound("domain: not blocked")
        blocked = await store.domains(tx)
    inst.domains.replace_blocked(blocked)


async def blocks(inst: Instance) -> list[DomainBlock]:
    return await store.all_blocks(inst.db)


async def reload(inst: Instance) -> None:
    """Take the list as the database has it now (another process may have changed it)."""
    inst.domains.replace_blocked(await store.domains(inst.db))


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
