"""How many signed activities one fedishare process verifies and durably stores per second.

A fresh instance is seeded with `--actors` remote actors (their keys in `remote_actors`, so
that key fetching is not measured); `--activities` Create(Note)s signed by those actors, each
addressed to the community group (so that the inbox worker keeps them), are POSTed to the
shared inbox by a load generator in another process (aiohttp, uvloop, `--concurrency` in
flight). Every request is signed before any clock starts, and each server gets a warm-up
round first (connections open, keys loaded into memory). Figures from the same run:

  raw RSA-2048 verify   cryptography, one core, this process: the ceiling of the crypto
  check_request + RSA   the whole draft-cavage check (parse, digest, date, RSA), cached key
  (a) empty route       the same POSTs to a Starlette app that reads the body and answers 202,
                        under uvicorn (uvloop, httptools): the ceiling of the HTTP stack
  (r) bare reference    the least a verifying, durably storing inbox can do (BARE_APP below:
                        raw ASGI under uvicorn, no checks beyond digest and RSA, group
                        commits): the "bare verify-and-store reference" of the 5,000/s target
  (b) stored, web only   `fedishare serve --no-workers`: verification and storage alone.
                        Every 202 means verified and committed.
  (c) `fedishare serve` exactly as shipped (inbox worker running in the same process):
                        stored is 202s/s while the worker competes; processed is activities
                        through the worker per second, from the first POST until the last is
                        processed. Afterwards every 202 is checked to have left a row.
  (d) two processes     `fedishare serve --no-workers` beside `fedishare work` on the same
                        database: each gets a core (the load generator takes the rest).

With each, the server's CPU time per activity, and the rate that cost allows on a core of its
own: the figure to compare when the load generator (most of one core) and anything else on
the machine compete for the CPUs.

The references, (a) and (b) run --rounds times, back to back, since this machine's speed
drifts by tens of percent within minutes; the summary gives (b)'s median and best, and its
ratio to the same round's raw verify rate beside the ratio that the 5,000/s target assumes.

    .venv/bin/python bench/inbox.py [--activities 20000] [--actors 50] [--concurrency 64]
                                    [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pickle
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
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


# The least a verifying, durably storing inbox can do, written for this benchmark only: the
# keys loaded from the seeded database at start-up; per POST: the body read, the id and actor
# read from the JSON (by orjson, as fedishare reads it), the Signature header split, the
# digest compared, the signing string assembled and the RSA signature verified; the row
# inserted (deduplicated by activity id, as fedishare's) by one writer task in group commits,
# and 202 answered after the commit. No rate limit, no date window, no error bodies, no host
# checks: what (b) does beyond this is what fedishare's checks and structure cost.
BARE_APP = r"""
import asyncio, base64, hashlib, os, sqlite3
import orjson
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.serialization import load_pem_public_key

PATH = "fedishare.sqlite3"
KEYS = {}
PENDING = []
READY = asyncio.Event()


def _open():
    db = sqlite3.connect(PATH, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    for key_id, pem in db.execute("SELECT key_id, public_key_pem FROM remote_actors"):
        KEYS[key_id] = load_pem_public_key(pem.encode())
    return db


async def _writer(db):
    while True:
        await READY.wait()
        READY.clear()
        batch, PENDING[:] = PENDING[:], []
        db.execute("BEGIN IMMEDIATE")
        db.executemany(
            "INSERT INTO inbox_items (activity_id, actor, body, next_try, received_at)"
            " VALUES (?, ?, ?, 0, 0) ON CONFLICT (activity_id) DO NOTHING",
            [row for row, _ in batch],
        )
        db.execute("COMMIT")
        for _, done in batch:
            done.set_result(None)


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                asyncio.get_running_loop().create_task(_writer(_open()))
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    headers = dict(scope["headers"])
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    document = orjson.loads(body)
    fields = dict(
        part.split("=", 1) for part in headers[b"signature"].decode().replace('"', "").split(",")
    )
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    status = 401
    if headers[b"digest"].decode() == "SHA-256=" + digest:
        lines = []
        for name in fields["headers"].split():
            if name == "(request-target)":
                lines.append("(request-target): post " + scope["path"])
            else:
                lines.append(name + ": " + headers[name.encode()].decode())
        try:
            KEYS[fields["keyId"]].verify(
                base64.b64decode(fields["signature"]),
                chr(10).join(lines).encode(),
                PKCS1v15(),
                SHA256(),
            )
        except Exception:
            pass
        else:
            done = asyncio.get_running_loop().create_future()
            PENDING.append(((document["id"], document["actor"], body.decode()), done))
            READY.set()
            await done
            status = 202
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})
"""


def _env(cwd: Path) -> dict[str, str]:
    """The environment of every fedishare this benchmark runs: this checkout's code, so that
    a benchmark run from another worktree measures that worktree (an A/B between commits)."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in (REPO, cwd))}


class Process:
    """A child process whose CPU time we read; stopped with SIGTERM."""

    def __init__(self, argv: list[str], cwd: Path, log: str = "server.log") -> None:
        self.log = (cwd / log).open("ab")
        self.proc = subprocess.Popen(
            argv, cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT, env=_env(cwd)
        )

    def cpu_seconds(self) -> float:
        with open(f"/proc/{self.proc.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class Server(Process):
    """A child process serving HTTP on `port`: ready once it accepts connections."""

    def __init__(self, argv: list[str], cwd: Path, port: int) -> None:
        super().__init__(argv, cwd)
        self.port = port
        _wait_for_port(port, self.proc)


def _fedishare(*args: str) -> list[str]:
    return [sys.executable, "-m", "fedishare", *args]


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


@dataclass
class Phase:
    """One server's run: the timed POSTs, its CPU, and (when waited for) the processing."""

    rate: float
    cpu_each: float  # server CPU seconds per activity while the POSTs ran
    processed_rate: float = 0.0
    cpu_each_in_all: float = 0.0
    worker_cpu_each: float = 0.0  # (d): the worker process's CPU per processed activity
    states: dict[str, int] = field(default_factory=dict)
    kept: int = 0


@dataclass
class Round:
    """One round of the references and the web-only server, measured back to back."""

    raw_rate: float
    full_rate: float
    empty: Phase
    bare: Phase
    web: Phase


def run_phase(
    server: Server,
    site: Path | None,
    url: str,
    files: tuple[Path, Path],
    concurrency: int,
    worker: Process | None = None,
) -> Phase:
    """Warm up (connections, keys into memory), then time the POSTs; with ``site``, also wait
    until the worker (in the server, or `worker`) has processed everything and check that
    every 202 left a row."""
    warm_file, timed_file = files
    warm_count, timed_count = (len(pickle.loads(f.read_bytes())) for f in files)
    try:
        warm = run_loadgen(warm_file, url, concurrency)
        if warm["statuses"] != {"202": warm_count}:
            raise SystemExit(f"warm-up failed: {warm['statuses']} (see server.log)")
        while site is not None and _count(site, "WHERE state = 'received'"):
            time.sleep(0.1)
        cpu_before = server.cpu_seconds()
        worker_before = worker.cpu_seconds() if worker else 0.0
        result = run_loadgen(timed_file, url, concurrency)
        cpu_timed = server.cpu_seconds() - cpu_before
        if result["statuses"] != {"202": timed_count}:
            raise SystemExit(f"not all accepted: {result['statuses']}")
        phase = Phase(timed_count / result["elapsed"], cpu_timed / timed_count)
        if site is None:
            return phase
        while _count(site, "WHERE state = 'received'"):
            time.sleep(0.05)
        phase.processed_rate = timed_count / (time.time() - result["started"])
        phase.cpu_each_in_all = (server.cpu_seconds() - cpu_before) / timed_count
        if worker is not None:
            phase.worker_cpu_each = (worker.cpu_seconds() - worker_before) / timed_count
        if _count(site) != warm_count + timed_count:
            raise SystemExit(f"{_count(site)} rows for {warm_count + timed_count} 202s")
        phase.states = {s: _count(site, f"WHERE state = '{s}'") for s in ("processed", "failed")}
        phase.kept = _objects(site)
        return phase
    finally:
        server.stop()
        if worker is not None:
            worker.stop()


def prepare(site: Path, port: int, actors: int, activities: int) -> tuple[list[str], Path, Path]:
    """A fresh instance with ``actors`` known remote actors, and the signed requests."""
    for command in (["init", "--domain", f"127.0.0.1:{port}", "--http"], ["account", "list"]):
        # `account list` runs the migrations and makes the system actors.
        subprocess.run(
            _fedishare(*command), cwd=site, check=True, capture_output=True, env=_env(site)
        )
    # Ten peer hosts send the whole load: lift the per-host inbox limit, which is not measured.
    toml = site / "instance.toml"
    text = toml.read_text()
    lifted = re.sub(
        r"(?m)^inbox_requests_per_minute = \d+", "inbox_requests_per_minute = 100000000", text
    )
    if lifted == text:
        raise SystemExit("instance.toml has no inbox_requests_per_minute to lift")
    toml.write_text(lifted)
    print(f"generating {actors} keys, signing {activities + actors} requests ...", file=sys.stderr)
    with ProcessPoolExecutor() as pool:
        pems = [p.decode() for p in pool.map(_new_key_pem, range(actors))]
    seed(site, pems)
    base = f"http://127.0.0.1:{port}"
    requests = sign_all(pems, f"{base}/inbox", f"{base}/users/community", activities + actors)
    warm_file, timed_file = site / "warm.pickle", site / "timed.pickle"
    warm_file.write_bytes(pickle.dumps(requests[:actors]))
    timed_file.write_bytes(pickle.dumps(requests[actors:]))
    return pems, warm_file, timed_file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--activities", type=int, default=20_000)
    parser.add_argument("--actors", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of the references, (a) and (b)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="fedishare-bench-") as tmp:
        root = Path(tmp)
        site = root / "site"
        site.mkdir()
        port = _free_port()
        url = f"http://127.0.0.1:{port}/inbox"
        pems, warm_file, timed_file = prepare(site, port, args.actors, args.activities)
        body_size = len(pickle.loads(timed_file.read_bytes())[0][0])
        files = (warm_file, timed_file)
        (root / "empty_app.py").write_text(EMPTY_APP)
        rounds: list[Round] = []
        for number in range(args.rounds):
            # Each round measures its own references next to the server it is compared with:
            # this machine's speed drifts by tens of percent within minutes.
            raw_rate, full_rate = reference_rates(pems[0])
            empty_port = _free_port()
            empty = run_phase(
                Server(_uvicorn("empty_app", empty_port), root, empty_port),
                None,
                f"http://127.0.0.1:{empty_port}/inbox",
                files,
                args.concurrency,
            )
            bare_site = root / f"bare-{number}"
            shutil.copytree(site, bare_site)
            (bare_site / "bare_app.py").write_text(BARE_APP)
            bare = run_phase(
                Server(_uvicorn("bare_app", port), bare_site, port),
                None,
                url,
                files,
                args.concurrency,
            )
            shutil.rmtree(bare_site)
            web_site = root / f"web-{number}"
            shutil.copytree(site, web_site)
            web = run_phase(
                Server(_fedishare("serve", "--no-workers"), web_site, port),
                None,
                url,
                files,
                args.concurrency,
            )
            shutil.rmtree(web_site)
            rounds.append(Round(raw_rate, full_rate, empty, bare, web))
        sites = {}
        for name in ("shipped", "two"):
            sites[name] = root / name
            shutil.copytree(site, sites[name])
        shipped = run_phase(
            Server(_fedishare("serve"), sites["shipped"], port),
            sites["shipped"],
            url,
            files,
            args.concurrency,
        )
        two = run_phase(
            Server(_fedishare("serve", "--no-workers"), sites["two"], port),
            sites["two"],
            url,
            files,
            args.concurrency,
            worker=Process(_fedishare("work"), sites["two"], log="work.log"),
        )

    n = args.activities
    print(
        f"fedishare inbox: {n:,} signed Create(Note)s ({body_size:,} B) from "
        f"{args.actors} actors, {args.concurrency} in flight, {os.cpu_count()} CPUs shared with "
        "the load generator"
    )
    print(f"{'':<34} {'per second':>10}  {'server CPU':>10}  {'1 core':>8}")
    rows: list[tuple[str, float, float | None]] = []
    for number, r in enumerate(rounds, start=1):
        label = f"round {number}: " if len(rounds) > 1 else ""
        rows.append((f"{label}raw RSA-2048 verify", r.raw_rate, None))
        rows.append((f"{label}check_request + RSA", r.full_rate, None))
        rows.append((f"{label}(a) empty route", r.empty.rate, r.empty.cpu_each))
        rows.append((f"{label}(r) bare verify-and-store", r.bare.rate, r.bare.cpu_each))
        rows.append((f"{label}(b) stored, web only", r.web.rate, r.web.cpu_each))
    rows.append(("(c) stored, `fedishare serve`", shipped.rate, shipped.cpu_each))
    rows.append(("(c) processed by its worker", shipped.processed_rate, shipped.cpu_each_in_all))
    rows.append(("(d) stored, web + work processes", two.rate, two.cpu_each))
    rows.append(("(d) processed by `fedishare work`", two.processed_rate, two.worker_cpu_each))
    for label, rate, cpu in rows:
        cpu_text = f"{cpu * 1e3:7.2f} ms" if cpu else ""
        core = f"{1 / cpu:8,.0f}" if cpu else ""
        print(f"{label:<34} {rate:>10,.0f}  {cpu_text:>10}  {core:>8}")
    print(
        "server CPU: per activity while the POSTs ran (for (c) processed: storing and"
        " processing; for (d) processed: the work process's); 1 core: the rate that CPU cost"
        " allows on a core of its own."
    )
    web_rates = [r.web.rate for r in rounds]
    to_bare = [r.web.rate / r.bare.rate for r in rounds]
    to_verify = [r.web.rate / r.raw_rate for r in rounds]
    print(
        f"(b) over {len(rounds)} round(s): median {statistics.median(web_rates):,.0f}/s, "
        f"best {max(web_rates):,.0f}/s. Against the same round's references, medians:"
        f" (b) / (r) {statistics.median(to_bare):.2f}, where the target asks 5,000 of the"
        f" 6,000/s that a bare reference reached ({5000 / 6000:.2f});"
        f" (b) / raw verify {statistics.median(to_verify):.3f}, where the target asks 5,000"
        f" of 37,000/s ({5000 / 37000:.3f})."
    )
    for label, phase in (("(c)", shipped), ("(d)", two)):
        print(
            f"{label} worker outcome: {phase.states.get('processed', 0):,} processed, "
            f"{phase.states.get('failed', 0):,} failed, {phase.kept:,} notes kept"
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
