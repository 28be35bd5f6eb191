"""Blocking a domain from the service: what it refuses, what it ends at once (queued
deliveries, unhandled activities, follows with our actors), and another process of the same
instance noticing within its reload period."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fedishare.context import Instance
from fedishare.core.errors import Invalid, NotFound
from fedishare.lifecycle import open_instance
from fedishare.moderation import domain_blocks
from fedishare.remote.publish import publish
from fedishare.storage import actors, follows, inbox_items
from fedishare.storage.actors import LocalActor
from tests.harness import make_config
from tests.waiting import eventually

OAK = "http://oak.test"
NOW = "2025-01-01T00:00:00Z"


@pytest.fixture
async def oak(tmp_path: Path) -> AsyncIterator[Instance]:
    config = make_config(tmp_path, "oak.test", federation={"block": ["spam.example"]})
    async with open_instance(config) as inst:
        yield inst


async def admin(inst: Instance) -> LocalActor:
    found = await actors.find_by_kind(inst.db, "application")
    assert found is not None
    return found


async def refusal(inst: Instance, domain: str, reason: str = "") -> str:
    with pytest.raises(Invalid) as refused:
        await domain_blocks.block(inst, domain, reason, await admin(inst))
    return refused.value.reason


async def test_malformed_own_and_repeated_domains_are_refused(oak: Instance) -> None:
    for typed in ("", "   ", "not a domain", "spam..example", "-spam.example", "a/b", "x" * 300):
        assert (await refusal(oak, typed)).startswith("domain: "), typed
    assert await refusal(oak, "oak.test") == "domain: this is our own domain"
    assert await refusal(oak, "test") == "domain: this is our own domain"  # ours is within it
    assert await refusal(oak, "a.spam.example") == "domain: already blocked in instance.toml"
    assert (await refusal(oak, "elm.test", "x" * 501)).startswith("reason: ")
    block = await domain_blocks.block(
        oak, " HTTPS://Elm.Test:8443/users/bob ", "spam", await admin(oak)
    )
    assert block.domain == "elm.test"
    assert await refusal(oak, "elm.test") == "domain: already blocked"
    assert (await domain_blocks.block(oak, "bücher.example", "", await admin(oak))).domain == (
        "xn--bcher-kva.example"
    )
    assert [b.domain for b in await domain_blocks.blocks(oak)] == [
        "elm.test",
        "xn--bcher-kva.example",
    ]
    with pytest.raises(NotFound):
        await domain_blocks.unblock(oak, "never.example")


async def test_blocking_ends_deliveries_activities_and_follows_with_the_domain(
    oak: Instance,
) -> None:
    sender = await admin(oak)
    inboxes = ["http://elm.test/inbox", "http://a.elm.test:8080/inbox", "http://ash.test/inbox"]
    await publish(oak, sender, {"id": f"{OAK}/activities/1", "type": "Create"}, inboxes)
    await inbox_items.store_many(
        oak.db,
        [
            inbox_items.NewItem("http://elm.test/a/1", "http://elm.test/users/bob", None, "{}"),
            inbox_items.NewItem("http://ash.test/a/1", "http://ash.test/users/cy", None, "{}"),
        ],
        oak.clock().timestamp(),
    )
    pairs = [
        ("http://elm.test/users/bob", f"{OAK}/users/alice"),  # theirs of ours: dropped
        (f"{OAK}/users/alice", "http://sub.elm.test/users/eve"),  # ours of theirs: dropped
        ("http://ash.test/users/cy", f"{OAK}/users/alice"),  # another domain's: kept
        ("http://elm.test.example/users/x", f"{OAK}/users/alice"),  # only looks alike: kept
    ]
    async with oak.db.transaction() as tx:
        for follower, followee in pairs:
            await follows.upsert(tx, follower, followee, follower + "#f", "accepted", NOW)

    await domain_blocks.block(oak, "elm.test", "spam", sender)

    assert not oak.domains.permits("elm.test") and not oak.domains.permits("a.elm.test:8080")
    deliveries = {
        r["host"]: (r["state"], r["last_error"])
        for r in await oak.db.fetch_all("SELECT host, state, last_error FROM deliveries")
    }
    assert deliveries == {
        "elm.test": ("failed", "elm.test was blocked by an admin"),
        "a.elm.test:8080": ("failed", "elm.test was blocked by an admin"),
        "ash.test": ("pending", None),
    }
    items = {r["actor"]: r["state"] for r in await oak.db.fetch_all("SELECT * FROM inbox_items")}
    assert items == {"http://elm.test/users/bob": "failed", "http://ash.test/users/cy": "received"}
    left = [(r[0], r[1]) for r in await oak.db.fetch_all("SELECT follower, followee FROM follows")]
    assert sorted(left) == sorted(pairs[2:])

    await domain_blocks.unblock(oak, "ELM.test")
    assert oak.domains.permits("elm.test") and await domain_blocks.blocks(oak) == []


async def test_another_process_notices_a_block_within_its_reload_period(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(domain_blocks, "RELOAD_SECONDS", 0.05)
    config = make_config(tmp_path, "oak.test")
    async with open_instance(config) as web, open_instance(config) as worker:
        await domain_blocks.block(web, "elm.test", "", await admin(web))
        assert not web.domains.permits("elm.test")

        async def refused_by_worker() -> bool:
            return not worker.domains.permits("elm.test")

        await eventually(refused_by_worker)
        await domain_blocks.unblock(web, "elm.test")

        async def let_in_by_worker() -> bool:
            return worker.domains.permits("elm.test")

        await eventually(let_in_by_worker)
        await domain_blocks.block(web, "ash.test", "", await admin(web))
    async with open_instance(config) as later:  # read at opening
        assert later.domains.blocked == {"ash.test"} and not later.domains.permits("ash.test")
