"""Two `fedishare serve` processes on one PostgreSQL database behind a proxy keep one rate
limit per client between them, as one process does alone."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest

from tests.databases import backend, fresh_database
from tests.processes import free_port, local_site, serving

pytestmark = pytest.mark.skipif(
    backend() != "postgresql", reason="several web processes share one PostgreSQL database"
)

LIMIT = 40  # [limits] requests_per_address_per_5min
PACE = 20  # requests a second, both processes together
CLIENT = "203.0.113.7"  # named by the proxy (loopback, trusted) in X-Forwarded-For


async def test_a_client_gets_one_limit_across_two_web_processes(tmp_path: Path) -> None:
    site, port = await local_site(tmp_path, "hub", database_url=fresh_database(tmp_path, "hub"))
    toml = site / "instance.toml"
    toml.write_text(
        re.sub(
            r"(?m)^requests_per_address_per_5min = .*$",
            f"requests_per_address_per_5min = {LIMIT}",
            toml.read_text(),
        )
    )
    other = free_port()
    async with (
        serving(site, port, args=("--no-workers",)),
        serving(site, other, args=("--no-workers", "--listen", f"127.0.0.1:{other}")),
        httpx.AsyncClient(timeout=10.0, limits=httpx.Limits(keepalive_expiry=1.0)) as client,
    ):
        answers: list[int] = []
        # A page to each process in turn, as a round-robin proxy would, for several of the
        # processes' exchanges (every second): at most PACE requests a second.
        for i in range(4 * LIMIT):
            url = f"http://127.0.0.1:{(port, other)[i % 2]}/actor"
            r = await client.get(url, headers={"X-Forwarded-For": CLIENT})
            answers.append(r.status_code)
            await asyncio.sleep(1 / PACE)
    allowed = answers.count(200)
    assert set(answers) <= {200, 429}
    # Alone, each process would let LIMIT through (2 x LIMIT in all); together, LIMIT and
    # at most what each let through before its first exchange (PACE / 2 a second each).
    assert LIMIT <= allowed <= LIMIT + PACE, answers
