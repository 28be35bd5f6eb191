"""One activity to 1,000 inboxes through the real delivery worker: how close to the RSA limit?

Every delivery is signed (RSA-2048), so one core can never deliver faster than it signs. This
runs fedishare's delivery worker (queue claims, per-host bounds, outcome bookkeeping in
SQLite, signing, sending) against receivers in a child process (`--ports` loopback ports
standing for many servers, from bench/fanout_transport.py), with:

  worker   the production client (fedishare.lifecycle.default_http_client: aiohttp transport)
  before   the same worker over a plain default httpx.AsyncClient()

and, in the same run, the single-core rate of an RSA-2048 signature and of our full
`sign_headers`. Each setup has its own instance and database; one warm-up fan-out, then the
setups take turns for `--rounds` rounds. A fan-out is timed from `publish()` (which queues the
1,000 rows) until every row is recorded as delivered.

    .venv/bin/python bench/fanout.py [--inboxes 1000] [--rounds 5] [--loop uvloop|asyncio]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from bench.fanout_transport import Receivers, activity_body, receivers
from fedishare.accounts.members import create_member
from fedishare.context import Instance
from fedishare.core.config import Config, parse_config
from fedishare.federation.keys import generate_key_pair, load_private_key
from fedishare.federation.signing import sign_headers
from fedishare.lifecycle import default_http_client, open_instance
from fedishare.remote.delivery import DeliveryWorker
from fedishare.remote.publish import publish
from fedishare.storage.actors import LocalActor


def bench_config(directory: Path, name: str) -> Config:
    data: dict[str, Any] = {
        "instance": {
            "domain": "127.0.0.1:9",
            "scheme": "http",
            "allow_insecure": True,
            "database": str(directory / f"{name}.sqlite3"),
        },
    }
    return parse_config(data, directory / "instance.toml")


class SignRates:
    """Single-core rates, sampled between the fan-outs so that both see the same machine (and
    timed by the wall clock, as the fan-outs are): a bare RSA-2048 signature, and our whole
    `sign_headers` (digest, signing string, RSA)."""

    def __init__(self) -> None:
        self.key = load_private_key(generate_key_pair().private_pem)
        self.body = activity_body(2048)
        self.rsa: list[float] = []
        self.full: list[float] = []

    def sample(self, count: int = 500) -> None:
        from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
        from cryptography.hazmat.primitives.hashes import SHA256

        start = time.perf_counter()
        for i in range(count):
            self.key.sign(b"message %d" % i, PKCS1v15(), SHA256())
        self.rsa.append(count / (time.perf_counter() - start))
        now = datetime.now(UTC)
        start = time.perf_counter()
        for i in range(count):
            sign_headers(
                "POST",
                f"http://127.0.0.1:8000/users/u{i}/inbox",
                self.body,
                key_id="http://127.0.0.1:9/users/alice#main-key",
                private_key=self.key,
                now=now,
            )
        self.full.append(count / (time.perf_counter() - start))


def children_cpu(receiver_pid: int) -> float:
    """CPU seconds of this process's children but the receivers: the signing process."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and int(stat.parent.name) != receiver_pid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


@dataclass
class Setup:
    name: str
    inst: Instance
    alice: LocalActor
    rates: list[float] = field(default_factory=list)
    cpu: float = 0.0
    sent: int = 0


@contextlib.asynccontextmanager
async def open_setup(
    name: str, directory: Path, make_client: Callable[[Config], httpx.AsyncClient]
) -> AsyncIterator[Setup]:
    config = bench_config(directory, name)
    async with make_client(config) as client, open_instance(config, http=client) as inst:
        alice = await create_member(inst.db, inst.clock, "alice")
        stop = asyncio.Event()
        worker = asyncio.create_task(DeliveryWorker(inst).run(stop))
        try:
            yield Setup(name, inst, alice)
        finally:
            stop.set()
            await worker


async def fan_out(setup: Setup, urls: list[str], number: int) -> float:
    """Publish one activity to every url; return the seconds until all are delivered."""
    inst = setup.inst
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{inst.urls.base}/activities/{setup.name}-{number}",
        "type": "Create",
        "actor": f"{inst.urls.base}/users/alice",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {"type": "Note", "content": "x" * 1800},
    }
    start = time.perf_counter()
    await publish(inst, setup.alice, activity, urls)
    rowid = await inst.db.fetch_value(
        "SELECT id FROM outbox_activities WHERE activity_id = ?", (activity["id"],)
    )
    # Poll only the pending rows (a partial index): cheap enough not to skew the figures.
    while await inst.db.fetch_value(
        "SELECT count(*) FROM deliveries INDEXED BY deliveries_due WHERE state = 'pending'"
    ):
        await asyncio.sleep(0.01)
    seconds = time.perf_counter() - start
    delivered = await inst.db.fetch_value(
        "SELECT count(*) FROM deliveries WHERE activity_rowid = ? AND state = 'delivered'"
        " AND attempts = 1",
        (rowid,),
    )
    if delivered != len(urls):
        raise RuntimeError(f"{setup.name}: {len(urls) - delivered} deliveries failed or retried")
    return seconds


async def run(args: argparse.Namespace, started: Receivers) -> None:
    ports = started.ports
    urls = [
        f"http://127.0.0.1:{ports[i % len(ports)]}/users/u{i}/inbox" for i in range(args.inboxes)
    ]
    clients: dict[str, Callable[[Config], httpx.AsyncClient]] = {
        "worker": default_http_client,
        "before": lambda config: httpx.AsyncClient(),
    }
    signing = SignRates()
    print(
        f"{args.inboxes} inboxes on {len(ports)} ports, ~2 KB activity, limits 50 in flight /"
        f" 8 per host, loop={args.loop}; median of {args.rounds} rounds after 1 warm-up;"
        f" load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    with tempfile.TemporaryDirectory() as tmp:
        async with contextlib.AsyncExitStack() as stack:
            setups = [
                await stack.enter_async_context(open_setup(name, Path(tmp), make))
                for name, make in clients.items()
            ]
            number = 0
            for setup in setups:  # warm-up: keys loaded, connections opened
                await fan_out(setup, urls, number := number + 1)
            for _ in range(args.rounds):
                signing.sample()
                for setup in setups:
                    cpu = time.process_time() + children_cpu(started.pid)
                    seconds = await fan_out(setup, urls, number := number + 1)
                    setup.rates.append(len(urls) / seconds)
                    setup.cpu += time.process_time() + children_cpu(started.pid) - cpu
                    setup.sent += len(urls)
    rsa, full = statistics.median(signing.rsa), statistics.median(signing.full)
    print(f"RSA-2048 sign, one core:        {rsa:8.0f}/s")
    print(f"sign_headers (full), one core:  {full:8.0f}/s")
    print(
        f"{'setup':<8} {'deliveries/s':>13} {'min-max':>12} {'vs RSA':>7} {'CPU µs/delivery*':>16}"
    )
    for setup in setups:
        rate = statistics.median(setup.rates)
        spread = f"{min(setup.rates):.0f}-{max(setup.rates):.0f}"
        cpu_us = setup.cpu / setup.sent * 1e6
        print(f"{setup.name:<8} {rate:13.0f} {spread:>12} {rate / rsa:7.2f} {cpu_us:16.0f}")
    print("* this process and its signing child, not the receivers")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--inboxes", type=int, default=1000)
    parser.add_argument("--ports", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    args = parser.parse_args()
    with receivers(args.ports, "raw") as started:
        if args.loop == "uvloop":
            import uvloop

            uvloop.run(run(args, started))
        else:
            asyncio.run(run(args, started))


if __name__ == "__main__":
    main()
