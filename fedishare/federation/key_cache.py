"""Remote public keys kept as loaded objects, and the fetches of them in flight.

Loading a PEM on every request would cost more than verifying the signature, and a burst of
requests from an actor we have never seen should fetch its key once, not once per request.
One cache belongs to one Instance (made with it, never global).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from fedishare.federation.public_key import ResolvedKey

T = TypeVar("T")

DEFAULT_CAPACITY = 10_000


class PublicKeyCache:
    """Loaded keys by key id, least recently used dropped first; one key per owner."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self._keys: OrderedDict[str, ResolvedKey] = OrderedDict()
        self._owner_key: dict[str, str] = {}  # owner actor id -> its current key id
        self._in_flight: dict[str, asyncio.Task[Any]] = {}
        self._fetched: dict[str, float] = {}  # key id -> when it was last fetched (unix s)

    def __len__(self) -> int:
        return len(self._keys)

    def get(self, key_id: str) -> ResolvedKey | None:
        key = self._keys.get(key_id)
        if key is not None:
            self._keys.move_to_end(key_id)
        return key

    def put(self, key: ResolvedKey) -> None:
        """Remember ``key``; a different key cached for the same owner is dropped, since
        the owner no longer lists it."""
        previous = self._owner_key.get(key.owner)
        if previous is not None and previous != key.key_id:
            self._keys.pop(previous, None)
        self._keys[key.key_id] = key
        self._keys.move_to_end(key.key_id)
        self._owner_key[key.owner] = key.key_id
        while len(self._keys) > self._capacity:
            _, dropped = self._keys.popitem(last=False)
            if self._owner_key.get(dropped.owner) == dropped.key_id:
                del self._owner_key[dropped.owner]

    def note_fetched(self, key_id: str, at: float) -> None:
        """Remember when ``key_id`` was fetched (the oldest of too many are forgotten)."""
        self._fetched.pop(key_id, None)
        self._fetched[key_id] = at
        while len(self._fetched) > self._capacity:
            del self._fetched[next(iter(self._fetched))]

    def fetched_after(self, key_id: str, since: float) -> bool:
        at = self._fetched.get(key_id)
        return at is not None and at > since

    def forget_owner(self, owner: str) -> None:
        """Drop the key of an actor that is gone (or whose document changed)."""
        key_id = self._owner_key.pop(owner, None)
        if key_id is not None:
            self._keys.pop(key_id, None)

    async def once(self, name: str, work: Callable[[], Awaitable[T]]) -> T:
        """Run ``work`` unless a run under ``name`` is already in flight, then share its
        outcome. A caller that is cancelled does not cancel the shared run."""
        task = self._in_flight.get(name)
        if task is None:
            task = asyncio.ensure_future(work())
            self._in_flight[name] = task
            task.add_done_callback(lambda done: self._finished(name, done))
        return cast(T, await asyncio.shield(task))

    def _finished(self, name: str, task: asyncio.Task[Any]) -> None:
        if self._in_flight.get(name) is task:
            del self._in_flight[name]
        if not task.cancelled():
            task.exception()  # retrieved, so that nobody-left-waiting logs no warning
