"""Processing stored activities: claim due items in order, dispatch each, record the outcome.

Each item is received -> processed | failed. ``Rejected`` fails it for good; any other error
is retried with backoff, and fails it after MAX_ATTEMPTS. Claims are leases (see
fedishare.storage.inbox_items), so several processes may run this worker. A worker that is
stopped records what it finished and hands back what it had not started, so a restart picks
up exactly there; one that dies leaves its claims to expire after LEASE_SECONDS, unless the
next process to start workers finds none running (fedishare.workers.presence) and hands them
back at once (`hand_back_claims`), to be taken again in order. Processing is at least once:
an item whose outcome was not recorded is processed again, so handlers must be idempotent
(Mastodon redelivers anyway).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

from fedishare.context import Instance
from fedishare.core.json_text import parse_json
from fedishare.core.log_context import job
from fedishare.core.pause import pause
from fedishare.inbox.dispatch import dispatch
from fedishare.inbox.item import InboxItem, Rejected
from fedishare.storage import inbox_items
from fedishare.storage.inbox_items import ClaimedItem

log = logging.getLogger(__name__)

BATCH = 50
LEASE_SECONDS = 120.0
POLL_SECONDS = 1.0
MAX_ATTEMPTS = 5
FIRST_RETRY_SECONDS = 30.0
MAX_ERROR_CHARS = 500
# While POSTs keep arriving, the worker takes at most this share of the event loop's time
# (it pauses after each batch), and never pauses longer than MAX_YIELD_SECONDS at a time.
YIELD_SHARE = 0.5
MAX_YIELD_SECONDS = 1.0


def retry_delay(attempts: int) -> float | None:
    """Seconds before trying again after the ``attempts``-th failure, or None to give up:
    30 s, 2 min, 8 min, 32 min, then failed."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return FIRST_RETRY_SECONDS * 4.0 ** (attempts - 1)


@dataclass
class _Outcomes:
    """What happened to a claimed batch, written back in one transaction."""

    processed: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    retries: list[tuple[int, str, float]] = field(default_factory=list)

    def has(self, item_id: int) -> bool:
        return (
            item_id in self.processed
            or any(i == item_id for i, _ in self.failed)
            or any(i == item_id for i, _, _ in self.retries)
        )

    def __bool__(self) -> bool:
        return bool(self.processed or self.failed or self.retries)


async def run_inbox_worker(inst: Instance, stop: asyncio.Event) -> None:
    while not stop.is_set():
        inst.wake_inbox.clear()
        started = time.monotonic()
        if await process_due(inst, stop):
            if inst.receives and inst.wake_inbox.is_set():
                # Activities were stored while this batch ran: POSTs are arriving, and they
                # share this process's core with us. Answering them comes first (a peer
                # that times out sends again), so take at most YIELD_SHARE of the time.
                busy = time.monotonic() - started
                await pause(stop, min(busy * (1 - YIELD_SHARE) / YIELD_SHARE, MAX_YIELD_SECONDS))
            continue
        try:
            await asyncio.wait_for(inst.wake_inbox.wait(), POLL_SECONDS)
        except TimeoutError:
            pass


async def hand_back_claims(inst: Instance) -> None:
    """Before any worker runs, and none runs elsewhere: every claim is a dead worker's."""
    async with inst.db.transaction() as tx:
        count = await inbox_items.hand_back_all(tx, _now(inst))
    if count:
        log.info("handed back %d inbox item(s) claimed before a stop", count)


async def process_due(inst: Instance, stop: asyncio.Event | None = None) -> int:
    """Claim one batch of due items and process it; return how many were claimed."""
    now = _now(inst)
    async with inst.db.transaction() as tx:
        claimed = await inbox_items.claim_due(tx, now, LEASE_SECONDS, BATCH)
    lease_until = now + LEASE_SECONDS
    outcomes = _Outcomes()
    started = 0
    try:
        for item in claimed:
            if stop is not None and stop.is_set():
                break
            lease_until = await _renew_if_old(inst, claimed[started:], lease_until)
            started += 1
            with job(f"inbox-{item.id}"):  # its log lines carry the item's id
                await _process(inst, item, outcomes)
    except asyncio.CancelledError:
        if started and not outcomes.has(claimed[started - 1].id):
            # Interrupted mid-item: due again at once, the attempt counted (so an item
            # that hangs its handler still runs out of attempts).
            outcomes.retries.append((claimed[started - 1].id, "interrupted", _now(inst)))
        raise
    finally:
        # Record outcomes and hand back what was not started, even when cancelled.
        await asyncio.shield(_finish(inst, outcomes, [i.id for i in claimed[started:]]))
    return len(claimed)


async def _process(inst: Instance, item: ClaimedItem, outcomes: _Outcomes) -> None:
    try:
        activity = parse_json(item.body)
    except ValueError:
        outcomes.failed.append((item.id, "the stored body is not JSON"))
        return
    try:
        await dispatch(inst, InboxItem(activity, item.actor, item.recipient_id))
    except Rejected as exc:
        outcomes.failed.append((item.id, _describe(exc)))
    except Exception as exc:
        log.warning("inbox item %s failed (attempt %s): %r", item.id, item.attempts, exc)
        delay = retry_delay(item.attempts)
        if delay is None:
            outcomes.failed.append((item.id, _describe(exc)))
        else:
            outcomes.retries.append((item.id, _describe(exc), _now(inst) + delay))
    else:
        outcomes.processed.append(item.id)


async def _renew_if_old(inst: Instance, remaining: list[ClaimedItem], lease_until: float) -> float:
    """Keep the rest of the batch leased while slow handlers work through it."""
    now = _now(inst)
    if lease_until - now > LEASE_SECONDS / 2:
        return lease_until
    async with inst.db.transaction() as tx:
        await inbox_items.extend_lease(tx, [i.id for i in remaining], now + LEASE_SECONDS)
    return now + LEASE_SECONDS


async def _finish(inst: Instance, outcomes: _Outcomes, unstarted: list[int]) -> None:
    if not outcomes and not unstarted:
        return
    now = _now(inst)
    async with inst.db.transaction() as tx:
        if outcomes.processed:
            await inbox_items.mark_processed(tx, outcomes.processed, now)
        if outcomes.failed:
            await inbox_items.mark_failed(tx, outcomes.failed, now)
        if outcomes.retries:
            await inbox_items.retry_later(tx, outcomes.retries)
        if unstarted:
            await inbox_items.release(tx, unstarted, now)


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text[:MAX_ERROR_CHARS]


def _now(inst: Instance) -> float:
    return inst.clock().timestamp()
