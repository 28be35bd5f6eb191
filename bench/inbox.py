"""How many signed activities one fedishare process verifies and durably stores per second.

A fresh instance is seeded with `--actors` remote actors (their keys in `remote_actors`, so
that key fetching is not measured), then `--activities` Create(Note)s signed by those actors,
each addressed to the community group (so the inbox worker keeps them), are POSTed to the
shared inbox by a load generator in another process (aiohttp, `--concurrency` in flight).
Requests are signed before the clock starts. Prints, from the same run:

  raw RSA verify      cryptography's RSA-2048 PKCS1v15-SHA256 verify, one core (the ceiling
                      of the crypto alone)
  check + verify      the whole draft-cavage check (parse, digest, date, RSA), cached key
  empty route         the same POSTs to a Starlette app that reads the body and answers 202,
                      under the same uvicorn setup (the ceiling of the HTTP stack)
  stored              202s per second from the real server; every 202 means verified and
                      committed (the row count is checked afterwards)
  processed           activities through the inbox worker per second, from the first POST
                      until the last one is processed (the worker runs during the load)

with the server's CPU time per activity. The load generator shares the machine (on 2 cores it
takes most of one).

    .venv/bin/python bench/inbox.py [--activities 20000] [--server serve|uvicorn]

`--server serve` runs `fedishare serve` exactly as shipped (access log on); `uvicorn` runs the
same app under uvicorn without the access log.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pickle
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15  # noqa: E402
from cryptography.hazmat.primitives.hashes import SHA256  # noqa: E402

from fedishare.federation.keys import load_private_key, public_pem_of  # noqa: E402
from fedishare.federation.signing import sign_headers  # noqa: E402

Request = tuple[bytes, dict[str, str]]
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


# ---------------------------------------------------------------- load generator (child)


async def _drive(url: str, requests: list[Request], concurrency: int) -> dict[str, Any]:
    import aiohttp

    statuses: dict[int, int] = {}
    queue = iter(requests)
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            for body, headers in queue:
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    statuses[response.status] = statuses.get(response.status, 0) + 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return {"elapsed": elapsed, "statuses": statuses, "started": time.time() - elapsed}


def loadgen_main(path: str, url: str, concurrency: int) -> None:
    import uvloop

    with open(path, "rb") as f:
        requests = pickle.load(f)
    print(json.dumps(uvloop.run(_drive(url, requests, concurrency))), flush=True)


def run_loadgen(path: Path, url: str, concurrency: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--loadgen", str(path), url, str(concurrency)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


# ---------------------------------------------------------------- servers (children)


EMPTY_APP = """
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

async def inbox(request):
    await request.body()
    return Response(status_code=202)

app = Starlette(routes=[Route("/inbox", inbox, methods=["POST"])])
"""

OUR_APP = """
from pathlib import Path
from fedishare.app import create_app
from fedishare.config import load_config
app = create_app(load_config(Path("instance.toml")))
"""


class Server:
    def __init__(self, argv: list[str], cwd: Path, port: int) -> None:
        self.log = (cwd / "server.log").open("ab")
        env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + str(cwd)}
        self.proc = subprocess.Popen(
            argv, cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT, env=env
        )
        self.port = port
        _wait_for_port(port, self.proc)

    def cpu_seconds(self) -> float:
        with open(f"/proc/{self.proc.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def _uvicorn(module: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        f"{module}:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]


def _wait_for_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    import socket

    for _ in range(300):
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------- preparing the run


def _actor(i: int) -> str:
    return f"http://peer{i % 10}.bench.test/users/u{i}"


def _sign_share(args: tuple[list[str], str, str, int, int, int]) -> list[Request]:
    pems, inbox_url, group, actors, first, count = args
    keys = [load_private_key(p) for p in pems]
    now = datetime.now(UTC)
    out = []
    for n in range(first, first + count):
        i = n % actors
        actor = _actor(i)
        note = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{actor}/statuses/{n}/activity",
            "type": "Create",
            "actor": actor,
            "published": "2026-11-22T10:00:00Z",
            "to": [PUBLIC],
            "cc": [group, f"{actor}/followers"],
            "object": {
                "id": f"{actor}/statuses/{n}",
                "type": "Note",
                "attributedTo": actor,
                "published": "2026-11-22T10:00:00Z",
                "to": [PUBLIC],
                "cc": [group, f"{actor}/followers"],
                "content": "<p>Lending a ladder this weekend; ask at the bakery.</p>" * 12,
            },
        }
        body = json.dumps(note).encode()
        headers = sign_headers(
            "POST", inbox_url, body, key_id=f"{actor}#main-key", private_key=keys[i], now=now
        )
        out.append((body, headers))
    return out


def sign_all(pems: list[str], inbox_url: str, group: str, total: int) -> list[Request]:
    workers = os.cpu_count() or 1
    share = -(-total // workers)
    jobs = [
        (pems, inbox_url, group, len(pems), w * share, min(share, total - w * share))
        for w in range(workers)
        if w * share < total
    ]
    with ProcessPoolExecutor(workers) as pool:
        return [r for part in pool.map(_sign_share, jobs) for r in part]


def seed(site: Path, pems: list[str]) -> None:
    """Remote actors with their keys, as if fetched before."""
    from fedishare.federation.keys import load_private_key as load

    db = sqlite3.connect(site / "fedishare.sqlite3")
    with db:
        for i, pem in enumerate(pems):
            aid = _actor(i)
            public = public_pem_of(load(pem).public_key())
            db.execute(
                "INSERT INTO remote_actors (id, host, type, preferred_username, inbox, key_id,"
                " public_key_pem, document, fetched_at)"
                " VALUES (?, ?, 'Person', ?, ?, ?, ?, '{}', ?)",
                (
                    aid,
                    aid.split("/")[2],
                    f"u{i}",
                    f"{aid}/inbox",
                    f"{aid}#main-key",
                    public,
                    time.time(),
                ),
            )
    db.close()


def reference_rates(pem: str) -> tuple[float, float]:
    from fedishare.federation.verification import check_request, rsa_verifies

    key = load_private_key(pem)
    public = key.public_key()
    body = b'{"type":"Create"}' * 100
    url = "http://127.0.0.1:1/inbox"
    headers = sign_headers("POST", url, body, key_id="k", private_key=key, now=datetime.now(UTC))
    signed = check_request("POST", "/inbox", headers, body, now=datetime.now(UTC))

    def raw() -> None:
        public.verify(signed.signature, signed.message, PKCS1v15(), SHA256())

    def full() -> None:
        s = check_request("POST", "/inbox", headers, body, now=datetime.now(UTC))
        assert rsa_verifies(public, s.signature, s.message)

    return _rate(raw), _rate(full)


def _rate(step: Any, duration: float = 1.0) -> float:
    calls, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < duration:
        for _ in range(32):
            step()
        calls += 32
    return calls / elapsed


def _count(site: Path, where: str = "") -> int:
    db = sqlite3.connect(f"file:{site / 'fedishare.sqlite3'}?mode=ro", uri=True, timeout=30)
    try:
        return int(db.execute(f"SELECT count(*) FROM inbox_items {where}").fetchone()[0])
    finally:
        db.close()


# ---------------------------------------------------------------- the run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--activities", type=int, default=20_000)
    parser.add_argument("--actors", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--server", choices=("serve", "uvicorn"), default="serve")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="fedishare-bench-") as tmp:
        site = Path(tmp)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        subprocess.run(
            [sys.executable, "-m", "fedishare", "init", "--domain", f"127.0.0.1:{port}", "--http"],
            cwd=site,
            check=True,
            capture_output=True,
        )
        # Runs the migrations and makes the system actors.
        subprocess.run(
            [sys.executable, "-m", "fedishare", "account", "list"],
            cwd=site,
            check=True,
            capture_output=True,
        )

        print(
            f"generating {args.actors} keys, signing {args.activities} + {args.actors} "
            "requests ...",
            file=sys.stderr,
        )
        with ProcessPoolExecutor() as pool:
            pems = [p.decode() for p in pool.map(_new_key_pem, range(args.actors))]
        seed(site, pems)
        group = f"{base}/users/community"
        requests = sign_all(pems, f"{base}/inbox", group, args.activities + args.actors)
        warmup, timed = requests[: args.actors], requests[args.actors :]
        timed_file, warm_file = site / "timed.pickle", site / "warm.pickle"
        timed_file.write_bytes(pickle.dumps(timed))
        warm_file.write_bytes(pickle.dumps(warmup))

        raw_rate, full_rate = reference_rates(pems[0])

        (site / "empty_app.py").write_text(EMPTY_APP)
        empty_port = _free_port()
        empty = Server(_uvicorn("empty_app", empty_port), site, empty_port)
        try:
            run_loadgen(warm_file, f"http://127.0.0.1:{empty_port}/inbox", args.concurrency)
            empty_result = run_loadgen(
                timed_file, f"http://127.0.0.1:{empty_port}/inbox", args.concurrency
            )
        finally:
            empty.stop()

        if args.server == "serve":
            argv = [sys.executable, "-m", "fedishare", "serve"]
        else:
            (site / "our_app.py").write_text(OUR_APP)
            argv = _uvicorn("our_app", port)
        server = Server(argv, site, port)
        try:
            warm = run_loadgen(warm_file, f"{base}/inbox", args.concurrency)
            if warm["statuses"] != {"202": len(warmup)}:
                raise SystemExit(f"warm-up failed: {warm['statuses']} (see {site}/server.log)")
            while _count(site, "WHERE state = 'received'"):
                time.sleep(0.1)
            cpu_before = server.cpu_seconds()
            result = run_loadgen(timed_file, f"{base}/inbox", args.concurrency)
            cpu_stored = server.cpu_seconds() - cpu_before
            while _count(site, "WHERE state = 'received'"):
                time.sleep(0.05)
            processed_at = time.time()
            cpu_all = server.cpu_seconds() - cpu_before
            rows = _count(site)
            states = {s: _count(site, f"WHERE state = '{s}'") for s in ("processed", "failed")}
            kept = _objects(site)
        finally:
            server.stop()

    accepted = result["statuses"].get("202", 0)
    if accepted != len(timed) or rows != len(timed) + len(warmup):
        raise SystemExit(f"not all stored: {result['statuses']}, {rows} rows")
    stored_rate = accepted / result["elapsed"]
    processed_rate = len(timed) / (processed_at - result["started"])
    empty_rate = empty_result["statuses"].get("202", 0) / empty_result["elapsed"]

    print(
        f"fedishare inbox, {len(timed):,} signed Create(Note)s from {args.actors} actors, "
        f"{args.concurrency} in flight, server: {args.server}, {os.cpu_count()} CPUs"
    )
    print(f"{'':<20} {'per second':>12}  notes")
    print(f"{'raw RSA verify':<20} {raw_rate:>12,.0f}  one core, this process")
    print(f"{'check + verify':<20} {full_rate:>12,.0f}  parse, digest, date, RSA; cached key")
    print(f"{'empty route':<20} {empty_rate:>12,.0f}  Starlette, read body, 202")
    print(
        f"{'stored':<20} {stored_rate:>12,.0f}  verified + committed before each 202; "
        f"{1e3 * cpu_stored / len(timed):.2f} ms server CPU each"
    )
    print(
        f"{'processed':<20} {processed_rate:>12,.0f}  through the inbox worker "
        f"({states['processed']:,} processed, {states['failed']:,} failed, {kept:,} notes kept); "
        f"{1e3 * cpu_all / len(timed):.2f} ms server CPU each in all"
    )


def _objects(site: Path) -> int:
    db = sqlite3.connect(f"file:{site / 'fedishare.sqlite3'}?mode=ro", uri=True)
    try:
        return int(db.execute("SELECT count(*) FROM objects").fetchone()[0])
    finally:
        db.close()


def _new_key_pem(_: int) -> bytes:
    from cryptography.hazmat.primitives import serialization

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--loadgen":
        loadgen_main(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
