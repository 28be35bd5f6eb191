"""A peer that accepts connections and never answers holds up no other peer's deliveries: over
real sockets, with the production client, the fast peer's inboxes are all served while the
slow peer's requests still hang, and those then time out with the reason recorded."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fedishare.accounts.members import create_member
from fedishare.app import create_app
from fedishare.context import Instance
from fedishare.federation.addresses import PrivateHosts
from fedishare.federation.transport import make_http_client
from fedishare.remote.delivery import DeliveryWorker
from fedishare.remote.publish import publish
from fedishare.storage import deliveries
from fedishare.storage.database import Row
from tests.harness import make_config
from tests.remote.listeners import ACCEPTED, Listener, serving
from tests.waiting import eventually

TIMEOUT = 3.0  # the client's connect and read timeouts here (10 s in production)


async def test_a_peer_that_never_answers_holds_up_no_other(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        "oak.test",
        federation={"private_hosts": ["127.0.0.1"]},
        limits={"delivery_concurrency": 4, "delivery_per_host": 2},
    )
    http = make_http_client(
        user_agent="t", timeout=TIMEOUT, private_hosts=PrivateHosts(config.federation.private_hosts)
    )
    app = create_app(config, http=http, workers=False)
    async with (
        serving(Listener(answer=None)) as slow,
        serving(Listener(answer=ACCEPTED)) as fast,
        http,
        app.router.lifespan_context(app) as state,
    ):
        assert state is not None
        inst: Instance = state["instance"]
        alice = await create_member(inst.db, inst.clock, "alice")
        slow_host, fast_host = f"127.0.0.1:{slow.port}", f"127.0.0.1:{fast.port}"
        inboxes = [
            f"http://{host}/users/u{i}/inbox" for host in (slow_host, fast_host) for i in range(10)
        ]
        activity = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": "http://oak.test/activities/1",
            "type": "Create",
            "actor": "http://oak.test/users/alice",
            "object": {"id": "http://oak.test/objects/1", "type": "Note", "content": "hi"},
        }
        await publish(inst, alice, activity, inboxes)
        worker = DeliveryWorker(inst)
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:

            async def rows(host: str) -> list[Row]:
                found = await inst.db.fetch_all("SELECT * FROM deliveries ORDER BY id")
                return [r for r in found if r["host"] == host]

            async def fast_delivered() -> bool:
                return all(r["state"] == "delivered" for r in await rows(fast_host))

            await eventually(fast_delivered, within=TIMEOUT * 5)
            # All ten were delivered while the slow peer's first two requests still hang.
            assert len(fast.connections) == 10
            assert slow.connections and len(slow.connections) <= 2
            assert all(r["last_error"] is None for r in await rows(slow_host))
            assert loop.time() - started < TIMEOUT

            async def slow_timed_out() -> list[Row]:
                return [r for r in await rows(slow_host) if r["last_error"]]

            timed_out = await eventually(slow_timed_out, within=TIMEOUT * 5)
            for row in timed_out:
                assert row["state"] == "pending"  # retried later, with backoff
                assert row["last_error"].startswith("ReadTimeout")
            host = await deliveries.get_host(inst.db, slow_host)
            assert host is not None and host["last_error"].startswith("ReadTimeout")
        finally:
            stop.set()
            await asyncio.wait_for(running, timeout=10)
