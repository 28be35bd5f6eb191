"""Processes on one PostgreSQL database tell each other what they keep in memory changed
(fedishare.storage.signals): a key to forget, the domain blocks to read again. On SQLite no
signal is sent; its processes catch up by themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from fedishare.federation.public_key import ResolvedKey, load_public_key
from fedishare.lifecycle import open_instance
from fedishare.moderation import domain_blocks
from fedishare.remote.actors import forget_key
from fedishare.storage import signals
from fedishare.storage.actors import find_by_username
from fedishare.storage.database import open_database
from tests.databases import backend, fresh_database
from tests.harness import make_config
from tests.waiting import eventually

pytestmark = pytest.mark.skipif(
    backend() != "postgresql", reason="signals between processes are PostgreSQL's NOTIFY"
)


async def test_a_signal_sent_in_a_transaction_arrives_when_it_commits(tmp_path: Path) -> None:
    url = fresh_database(tmp_path, "shared")
    got: list[tuple[str, str]] = []
    async with open_database(url) as one, open_database(url) as two:
        async with signals.listening(two, lambda kind, value: got.append((kind, value))):
            with pytest.raises(RuntimeError):
                async with one.transaction() as tx:
                    await signals.send(tx, signals.KEY, "http://elm.test/users/rolled-back")
                    raise RuntimeError("rolled back")
            async with one.transaction() as tx:
                await signals.send(tx, signals.KEY, "http://elm.test/users/eve")
                assert got == []  # not before the commit

            async def arrived() -> bool:
                return got == [(signals.KEY, "http://elm.test/users/eve")]

            await eventually(arrived, within=5.0)


async def test_a_block_and_a_forgotten_key_reach_the_other_process_at_once(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path, "oak.test")
    async with open_instance(config) as web, open_instance(config) as worker:
        admin = await find_by_username(worker.db, "community")
        assert admin is not None
        # Well inside domain_blocks.RELOAD_SECONDS (30 s) of the web process's start, so only
        # the signal can bring the block to it in time.
        await domain_blocks.block(worker, "spam.example", "", admin)

        async def blocked() -> bool:
            return web.domains.severity("spam.example") == "suspend"

        await eventually(blocked, within=5.0)

        eve, key_id = "http://elm.test/users/eve", "http://elm.test/users/eve#main-key"
        web.public_keys.put(ResolvedKey(key_id, eve, load_public_key(admin.public_key_pem)))
        await forget_key(worker, eve)

        async def forgotten() -> bool:
            return web.public_keys.get(key_id) is None

        await eventually(forgotten, within=5.0)
