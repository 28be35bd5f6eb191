"""The delivery worker: sends queued activities to remote inboxes as signed POSTs.

Each turn of the loop is one transaction that records the outcomes of finished attempts,
renews the leases of the rows it holds and claims due rows. It claims ahead of need (up to
`PREFETCH` times the limits), so a slot that frees up is refilled from memory at once; it
starts at most `limits.delivery_concurrency` attempts at a time, `limits.delivery_per_host`
to one host, and one at a time to a host that keeps failing. Every attempt is signed afresh
(its Date is current), by a child process (`signer.ProcessSigner`), so that RSA runs beside
the event loop's HTTP work. `delivery_outcome` says what each answer means.

A slow or dead peer holds at most `delivery_per_host` slots (one once it keeps failing), each
for at most the client's timeouts (ATTEMPT_TIMEOUT in all), so the others' deliveries go on.
An inbox that answers 410 Gone ends the follows of the actors it served. An inbox on an
address that is not public (`fedishare.federation.addresses`) fails at once, never retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, deque
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

import httpx

from fedishare.context import Instance
from fedishare.core.log_context import job, job_id
from fedishare.core.urls import Urls
from fedishare.federation.actor_document import actor_id
from fedishare.federation.backoff import HOST_FAILURES_BEFORE_PAUSE, host_pause
from fedishare.federation.delivery_outcome import judge, outcome_of, retry, retry_after_seconds
from fedishare.federation.signer import (
    ProcessSigner,
    SignerUnavailable,
    post_headers,
    with_signature,
)
from fedishare.federation.transport_errors import ForbiddenAddress
from fedishare.storage import deliveries as store
from fedishare.storage.database import POSTGRESQL, Transaction
from fedishare.storage.deliveries import Claim, Outcome

log = logging.getLogger(__name__)

# A claim holds a row this long; the worker renews it while the attempt runs, so a row whose
# worker died is retried this soon after.
LEASE = 10.0
RENEW_EVERY = LEASE / 3
ATTEMPT_TIMEOUT = 30.0  # one attempt, signing to the last byte of the answer
POLL = 1.0  # look for rows that fell due without a wake-up this often
STOP_GRACE = 1.0  # on stop, let running attempts finish this long, then abandon them
# Rows claimed per free slot: the spare ones wait in memory, leased, for the next free slot.
PREFETCH = 2


@dataclass(frozen=True, slots=True)
class Sender:
    key_id: str
    private_key_pem: str


class SenderMissing(Exception):
    """The local actor that published the activity no longer exists."""


async def run_delivery_worker(inst: Instance, stop: asyncio.Event) -> None:
    """Deliver queued activities until `stop` is set (a worker of `fedishare.workers.runner`)."""
    await DeliveryWorker(inst).run(stop)


class DeliveryWorker:
    """Claims due rows ahead of need (up to twice the in-flight limits), so a free slot is
    refilled from memory at once instead of waiting for the next database turn."""

    def __init__(self, inst: Instance) -> None:
        self.inst = inst
        self._ready: deque[Claim] = deque()  # claimed, waiting for a slot
        self._running: dict[asyncio.Task[Outcome], Claim] = {}
        self._held: Counter[str] = Counter()  # host -> rows claimed (ready or running)
        self._active: Counter[str] = Counter()  # host -> attempts running
        self._outcomes: list[Outcome] = []  # finished, not yet recorded
        self._senders: dict[int, Sender] = {}
        self._progress = asyncio.Event()  # an attempt finished
        self._renewed = 0.0
        self._signer = ProcessSigner()
        self._extensions = {"timeout": inst.http.timeout.as_dict()}
        per_host = inst.config.limits.delivery_per_host
        # Rows claimed per host: ahead of need, as in-flight rows of this process alone; on
        # PostgreSQL a claim counts every process's leased rows (fedishare.storage.
        # deliveries), and claiming no further than the limit holds it across them all.
        self._per_host_claims = per_host if inst.db.dialect == POSTGRESQL else PREFETCH * per_host

    @property
    def running(self) -> int:
        return len(self._running)

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    await self.step()
                except Exception:
                    log.exception("delivery worker: a turn failed; trying again shortly")
                    await _first(stop.wait(), asyncio.sleep(POLL))
                    continue
                await _first(
                    stop.wait(),
                    self.inst.wake_delivery.wait(),
                    self._progress.wait(),
                    asyncio.sleep(POLL),
                )
        finally:
            await self._abandon()
            await self.aclose()

    async def aclose(self) -> None:
        """Stop the signing process (`run` does this when it ends)."""
        await self._signer.aclose()

    async def step(self) -> int:
        """One turn: record finished attempts, renew leases, claim due rows and start what
        the limits allow; returns the number of rows claimed."""
        self.inst.wake_delivery.clear()
        self._progress.clear()
        limits = self.inst.config.limits
        now = self.inst.clock().timestamp()
        held = [*self._ready, *self._running.values()]
        if not (self._outcomes or held) and not await self._anything_due(now):
            return 0  # idle: no write transaction just to find nothing
        outcomes, self._outcomes = self._outcomes, []
        try:
            async with self.inst.db.transaction() as tx:
                await store.record(tx, outcomes, now, host_pause)
                await _end_gone_follows(tx, outcomes)
                if held and now - self._renewed >= RENEW_EVERY:
                    await store.renew(tx, [c.id for c in held], now + LEASE)
                    self._renewed = now
                claims = await store.claim(
                    tx,
                    now=now,
                    lease_until=now + LEASE,
                    limit=PREFETCH * limits.delivery_concurrency - len(held),
                    per_host=self._per_host_claims,
                    held=self._held,
                    probe_after=HOST_FAILURES_BEFORE_PAUSE,
                )
        except BaseException:
            self._outcomes[:0] = outcomes  # recorded next time
            raise
        if not held:
            self._renewed = now
        permits = self.inst.domains.permits
        for claim in claims:
            if permits(claim.host):
                self._ready.append(claim)
                self._held[claim.host] += 1
            else:
                error = f"{claim.host} is refused by the federation settings"
                self._finish(outcome_of(claim, "failed", error=error))
        self._fill()
        return len(claims)

    async def _anything_due(self, now: float) -> bool:
        due = await store.next_due(self.inst.db)
        return due is not None and due <= now

    def _fill(self) -> None:
        """Start ready claims while there are free slots, skipping hosts at their limit."""
        limits = self.inst.config.limits
        waiting: deque[Claim] = deque()
        while self._ready and len(self._running) < limits.delivery_concurrency:
            claim = self._ready.popleft()
            if self._active[claim.host] >= limits.delivery_per_host:
                waiting.append(claim)
                continue
            self._active[claim.host] += 1
            task = asyncio.create_task(self._attempt(claim), name=f"deliver {claim.id}")
            self._running[task] = claim
            task.add_done_callback(self._done)
        waiting.extend(self._ready)
        self._ready = waiting

    def _done(self, task: asyncio.Task[Outcome]) -> None:
        claim = self._running.pop(task)
        _decrement(self._active, claim.host)
        _decrement(self._held, claim.host)
        if task.cancelled():
            outcome = outcome_of(claim, "released")
        elif (exc := task.exception()) is not None:  # _attempt catches everything; be sure
            outcome = retry(claim, self.inst.clock().timestamp(), repr(exc))
        else:
            outcome = task.result()
        self._finish(outcome)
        if outcome.state in ("failed", "gone"):  # given up: one line each, with its job id
            with job(f"delivery-{claim.id}"):
                log.log(
                    logging.WARNING if outcome.state == "failed" else logging.INFO,
                    "delivery %d to %s %s: %s",
                    claim.id,
                    claim.inbox,
                    outcome.state,
                    outcome.error,
                )
        if outcome.state == "gone":  # what else was claimed for that inbox need not be sent
            for other in [c for c in self._ready if c.inbox == claim.inbox]:
                self._ready.remove(other)
                _decrement(self._held, other.host)
                self._finish(outcome_of(other, "gone", status=outcome.status, error=outcome.error))
        self._fill()

    def _finish(self, outcome: Outcome) -> None:
        self._outcomes.append(outcome)
        self._progress.set()

    async def _attempt(self, claim: Claim) -> Outcome:
        job_id.set(f"delivery-{claim.id}")  # this task's own context: its log lines
        try:
            async with asyncio.timeout(ATTEMPT_TIMEOUT):
                sender = await self._sender(claim.actor_id)
                url = httpx.URL(claim.inbox)
                body = claim.document.encode("utf-8")
                headers, message = post_headers(url, body, self.inst.clock())
                signature = await self._signer.sign(sender.private_key_pem, message)
                # Built here rather than by client.post(): the signed headers are complete,
                # and the client's merging of defaults, cookies and params costs ~100 µs.
                request = httpx.Request(
                    "POST",
                    url,
                    content=body,
                    headers=with_signature(headers, sender.key_id, signature),
                    extensions=self._extensions,
                )
                response = await self.inst.http.send(request)
        except (
            httpx.UnsupportedProtocol,
            httpx.InvalidURL,
            ForbiddenAddress,
            SenderMissing,
        ) as exc:
            return outcome_of(claim, "failed", error=f"{type(exc).__name__}: {exc}")
        except (httpx.TransportError, TimeoutError) as exc:
            now = self.inst.clock().timestamp()
            return retry(claim, now, f"{type(exc).__name__}: {exc}", host_up=False)
        except SignerUnavailable as exc:  # ours, not the host's: retried, host not blamed
            log.warning("delivery %d not signed: %s", claim.id, exc)
            return retry(claim, self.inst.clock().timestamp(), f"not signed: {exc}")
        except Exception as exc:
            log.exception("delivery %d to %s failed unexpectedly", claim.id, claim.inbox)
            return retry(claim, self.inst.clock().timestamp(), f"{type(exc).__name__}: {exc}")
        now = self.inst.clock().timestamp()
        return judge(claim, response.status_code, now, retry_after=retry_after_seconds(response))

    async def _sender(self, local_actor_id: int) -> Sender:
        sender = self._senders.get(local_actor_id)
        if sender is None:
            actor = await store.load_sender(self.inst.db, local_actor_id)
            if actor is None:
                raise SenderMissing(f"local actor {local_actor_id} does not exist")
            key_id = Urls.key_id(actor_id(self.inst.urls, actor))
            sender = Sender(key_id, actor.private_key_pem)
            self._senders[local_actor_id] = sender
        return sender

    async def wait_idle(self) -> None:
        """Wait until every claimed row has been attempted (their outcomes are recorded by
        the next `step`)."""
        while self._running:
            await asyncio.wait(list(self._running))
            await asyncio.sleep(0)  # let the done callbacks run (and start ready claims)

    async def _abandon(self) -> None:
        """Let running attempts finish briefly, abandon the rest, record what is known."""
        for claim in self._ready:
            self._finish(outcome_of(claim, "released"))
        self._ready.clear()
        if self._running:
            _, late = await asyncio.wait(list(self._running), timeout=STOP_GRACE)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
            await asyncio.sleep(0)  # let the done callbacks run
        if self._outcomes:
            try:
                async with self.inst.db.transaction() as tx:
                    await store.record(
                        tx, self._outcomes, self.inst.clock().timestamp(), host_pause
                    )
                    await _end_gone_follows(tx, self._outcomes)
                self._outcomes = []
            except Exception:
                log.exception("delivery worker: could not record the last outcomes")


async def _end_gone_follows(tx: Transaction, outcomes: list[Outcome]) -> None:
    """An actor's own inbox that answered 410 Gone will take nothing more: that actor no
    longer follows. A shared inbox answering 410 ends nobody's follows (see
    `store.end_follows_at`)."""
    gone = sorted({o.inbox for o in outcomes if o.state == "gone" and o.status == 410})
    ended, shared = await store.end_follows_at(tx, gone)
    for follower, followee in ended:
        log.info("%s no longer follows %s: its inbox answered 410 Gone", follower, followee)
    for inbox in shared:
        log.info("shared inbox %s answered 410 Gone: no follows end because of it", inbox)


def _decrement(counts: Counter[str], key: str) -> None:
    counts[key] -= 1
    if counts[key] <= 0:
        del counts[key]


async def _first(*waits: Coroutine[Any, Any, object]) -> None:
    """Wait until the first of several coroutines finishes; cancel the others."""
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


async def hand_back_claims(inst: Instance) -> None:
    """Before any worker runs, and none runs elsewhere: every lease is a dead worker's, and
    its deliveries are made due again at once rather than when the lease would run out."""
    async with inst.db.transaction() as tx:
        count = await store.hand_back_leases(tx, inst.clock().timestamp(), LEASE)
    if count:
        log.info("handed back %d delivery(ies) claimed before a stop", count)
