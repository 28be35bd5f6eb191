"""Inbox and fan-out throughput with 1, 2 and 4 `fedishare work` processes on PostgreSQL,
beside one process on SQLite, in one run.

Each setup is a fresh instance (a copied SQLite file, or a PostgreSQL database of its own made
on `--postgres` and dropped at the end) served by ONE `fedishare serve --no-workers` (the load
generator aims at one address; several web processes would need a proxy in front, which is
not what is measured here) beside K `fedishare work` processes (all queues), all real
processes on the same instance.toml:

  sqlite       K = 1: the embedded default, as bench/inbox.py's (d)
  postgresql   K = each of `--workers` (1, 2 and 4 by default); `[database] pool_size` is
               POOL_SIZE (10) in every process

The instance is seeded as bench/inbox.py seeds it: `--actors` remote actors with their keys
(so that no key is fetched), and every request signed before any clock starts; one member,
alice, has `--followers` remote followers, each with an inbox of its own on a receiver process
(bench/fanout_transport.py's: 20 loopback ports standing for 20 servers, answering 202).

Per setup, in this order:

  inbox        a warm-up (one activity per actor; connections open, keys loaded), then
               `--activities` signed Create(Note)s POSTed by a load generator in another
               process (bench/inbox.py's, `--concurrency` in flight) to the shared inbox.
    stored/s     202s per second: each 202 means verified and committed.
    processed/s  activities through the inbox workers per second, from the first POST until
                 none is left to process (so the workers compete with the POSTs for the
                 CPUs, as in bench/inbox.py's (d); not a pre-filled queue drained alone).
  fan-out      alice posts a public Note (fedishare.statuses.notes.publish_note, from this
               process: the same transaction an app's post makes, queueing one delivery per
               follower inbox); the work processes sign (RSA-2048) and send them. One
               warm-up post, then `--rounds` timed ones; the median is shown.
    deliv/s      deliveries per second between the first and the last recorded as delivered
                 (`finished_at`): the workers' rate once they have noticed the post.
    from post    deliveries per second from the post until the last is delivered: includes
                 the time a work process takes to notice work queued by another process
                 (its poll interval, about a second, unless a notification wakes it).

and the CPU each costs, in ms per item (per stored activity for the web process; per
processed activity and per delivery for the work processes together; the PostgreSQL
backends serving the setup's database, read from /proc as the server runs on this machine;
not its WAL writer or checkpointer, which serve every database on the server).
After each setup its outcome is checked and printed: every 202 left a row, how many were
processed, failed or claimed more than once, how many Notes were kept, how many deliveries
needed more than one attempt, and any ERROR or traceback in the processes' logs.

The machine this was written on has 2 cores, shared by the load generator (about one core
while it POSTs), the web process, the work processes and PostgreSQL: more work processes than
cores cannot add CPU, only show what sharing the queues costs. The output says so, with the
load average at the start and the end: figures from a machine busy with other work are low
and scattered; the CPU per item is the steadier figure to compare.

    .venv/bin/python bench/scale.py [--postgres URL] [--workers 1,2,4] [--activities 3000]
                                    [--followers 2000] [--rounds 3] [--actors 50]
                                    [--concurrency 64] [--no-sqlite]

`--postgres` (default: $FEDISHARE_TEST_POSTGRES, else
postgresql://fedishare@127.0.0.1:55432/postgres) must be a role that may create databases.
Everything talks only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pickle
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import asyncpg  # noqa: E402

from bench import inbox as inbox_bench  # noqa: E402
from bench.fanout_transport import receivers  # noqa: E402
from fedishare.accounts.members import create_member  # noqa: E402
from fedishare.context import Instance  # noqa: E402
from fedishare.core.activitystreams import PUBLIC, iso  # noqa: E402
from fedishare.core.config import load_config  # noqa: E402
from fedishare.federation.actor_document import actor_id  # noqa: E402
from fedishare.federation.keys import load_private_key, public_pem_of  # noqa: E402
from fedishare.lifecycle import open_instance  # noqa: E402
from fedishare.statuses.notes import publish_note  # noqa: E402
from fedishare.storage import follows, remote_actors  # noqa: E402
from fedishare.storage.actors import LocalActor  # noqa: E402
from fedishare.storage.remote_actors import RemoteActor  # noqa: E402

DEFAULT_POSTGRES = "postgresql://fedishare@127.0.0.1:55432/postgres"
DATABASE_PREFIX = "pgbench_scale_"  # every database this makes (and drops)
MEMBER = "alice"
POOL_SIZE = 10  # PostgreSQL connections per process
DRAIN_TIMEOUT = 600.0  # seconds a queue may take to empty before the setup counts as failed


# ---------------------------------------------------------------- setups


@dataclass
class Setup:
    backend: str  # "sqlite" | "postgresql"
    workers: int
    site: Path
    database: str = ""  # the PostgreSQL database's name


@dataclass
class Result:
    setup: Setup
    stored_rate: float = 0.0
    web_ms: float = 0.0  # web process CPU per stored activity
    processed_rate: float = 0.0
    work_ms: float = 0.0  # work processes' CPU per processed activity
    db_ms: float = 0.0  # PostgreSQL backends' CPU per activity (storing and processing)
    rows: int = 0
    accepted: int = 0
    states: dict[str, int] = field(default_factory=dict)
    reclaimed: int = 0  # inbox items claimed more than once
    kept: int = 0
    delivery_rates: list[float] = field(default_factory=list)
    from_post_rates: list[float] = field(default_factory=list)
    deliveries: int = 0
    work_ms_delivery: float = 0.0
    db_ms_delivery: float = 0.0
    retried: int = 0  # deliveries not delivered at their first attempt
    errors: list[str] = field(default_factory=list)
    failure: str = ""


def database_url(admin_url: str, name: str) -> str:
    parts = urlsplit(admin_url)
    return urlunsplit(parts._replace(path="/" + name))


def with_database(template: Path, site: Path, url: str) -> None:
    """`template`'s instance.toml (keys, limits, domain) in `site`, on the database at `url`."""
    site.mkdir()
    text = (template / "instance.toml").read_text()
    ours = f'[database]\nurl = "{url}"\npool_size = {POOL_SIZE}\n'
    before, header, after = text.partition("\n[database]\n")
    if header:  # `fedishare init` wrote one (its url commented out): ours replaces its keys
        section, header, rest = after.partition("\n[")
        section = re.sub(r"(?m)^(url|pool_size) *=.*$", "", section)
        text = before + "\n" + ours + section + header + rest
    else:
        text += "\n" + ours
    (site / "instance.toml").write_text(text)


def follower_inboxes(ports: list[int], count: int) -> list[str]:
    return [f"http://127.0.0.1:{ports[i % len(ports)]}/users/u{i}/inbox" for i in range(count)]


async def seed(site: Path, pems: list[str], inboxes: list[str]) -> None:
    """Into the instance's database (made and migrated if new): the remote actors that sign
    the inbox load, with their keys, as bench/inbox.py's `seed` (which only knows SQLite);
    member alice, and one accepted remote follower of hers per inbox in `inboxes`."""
    config = load_config(site / "instance.toml")
    async with open_instance(config, migrate=True) as inst:
        alice = await create_member(inst.db, inst.clock, MEMBER)
        followee = actor_id(inst.urls, alice)
        now, stamp = time.time(), iso(datetime.now(UTC))
        public = public_pem_of(load_private_key(pems[0]).public_key())
        async with inst.db.transaction() as tx:
            for i, pem in enumerate(pems):
                aid = inbox_bench._actor(i)
                actor = RemoteActor(
                    id=aid,
                    host=aid.split("/")[2],
                    type="Person",
                    preferred_username=f"u{i}",
                    name="",
                    inbox=f"{aid}/inbox",
                    shared_inbox=None,
                    followers=None,
                    key_id=f"{aid}#main-key",
                    public_key_pem=public_pem_of(load_private_key(pem).public_key()),
                    fetched_at=now,
                )
                await remote_actors.upsert(tx, actor, {})
            for i, inbox in enumerate(inboxes):
                aid = inbox.removesuffix("/inbox")
                follower = RemoteActor(
                    id=aid,
                    host=aid.split("/")[2],
                    type="Person",
                    preferred_username=f"u{i}",
                    name="",
                    inbox=inbox,
                    shared_inbox=None,
                    followers=None,
                    key_id=f"{aid}#main-key",
                    public_key_pem=public,
                    fetched_at=now,
                )
                await remote_actors.upsert(tx, follower, {})
                await follows.upsert(tx, aid, followee, f"{aid}/follows/1", "accepted", stamp)


# ---------------------------------------------------------------- PostgreSQL's side


class Server:
    """The PostgreSQL server at `admin_url`: makes and drops this run's databases, and reads
    the CPU time of the backends serving one of them."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self._conn: asyncpg.Connection | None = None

    async def connect(self) -> None:
        self._conn = await asyncpg.connect(self.admin_url)

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()

    @property
    def conn(self) -> asyncpg.Connection:
        assert self._conn is not None
        return self._conn

    async def create(self, name: str) -> None:
        await self.conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await self.conn.execute(f'CREATE DATABASE "{name}"')

    async def drop(self, name: str) -> None:
        await self.conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    async def cpu_seconds(self, name: str | None) -> float:
        """User + system CPU of the backends connected to database `name` now (0 without one,
        or when the server's processes cannot be read: another machine's)."""
        if name is None:
            return 0.0
        rows = await self.conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", name)
        total = 0.0
        for row in rows:
            try:
                with open(f"/proc/{row['pid']}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total


# ---------------------------------------------------------------- one setup's run


@asynccontextmanager
async def processes(
    setup: Setup, port: int
) -> AsyncIterator[tuple[inbox_bench.Server, list[inbox_bench.Process]]]:
    """One `fedishare serve --no-workers` and `setup.workers` `fedishare work`, each logging to
    a file of its own in the site; ready once all say so; stopped with SIGTERM."""
    server = inbox_bench.Server(inbox_bench._fedishare("serve", "--no-workers"), setup.site, port)
    workers = [
        inbox_bench.Process(inbox_bench._fedishare("work"), setup.site, log=f"work-{n}.log")
        for n in range(setup.workers)
    ]
    try:
        deadline = time.monotonic() + 60
        for n, worker in enumerate(workers):
            log = setup.site / f"work-{n}.log"
            while b"working for" not in log.read_bytes():
                if worker.proc.poll() is not None:
                    raise RuntimeError(f"work process {n} exited with {worker.proc.returncode}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"work process {n} did not start within 60 s")
                await asyncio.sleep(0.05)
        yield server, workers
    finally:
        server.stop()
        for worker in workers:
            worker.stop()


def cpu(processes: list[inbox_bench.Process]) -> float:
    return sum(p.cpu_seconds() for p in processes)


async def count(inst: Instance, sql: str, params: tuple[object, ...] = ()) -> int:
    return int(await inst.db.fetch_value(sql, params) or 0)


async def drain(inst: Instance, sql: str, params: tuple[object, ...] = ()) -> None:
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while await count(inst, sql, params):
        if time.monotonic() > deadline:
            raise RuntimeError(f"still {await count(inst, sql, params)} left: {sql}")
        await asyncio.sleep(0.05)


RECEIVED = "SELECT count(*) FROM inbox_items WHERE state = 'received'"
PENDING = "SELECT count(*) FROM deliveries INDEXED BY deliveries_due WHERE state = 'pending'"


async def run_inbox(
    inst: Instance,
    result: Result,
    pg: Server,
    server: inbox_bench.Server,
    workers: list[inbox_bench.Process],
    files: tuple[Path, Path],
    url: str,
    concurrency: int,
) -> None:
    """bench/inbox.py's run_phase, for several work processes and either database."""
    warm_file, timed_file = files
    warm_count = len(pickle.loads(warm_file.read_bytes()))
    timed_count = len(pickle.loads(timed_file.read_bytes()))
    name = result.setup.database or None
    warm = await asyncio.to_thread(inbox_bench.run_loadgen, warm_file, url, concurrency)
    if warm["statuses"] != {"202": warm_count}:
        raise RuntimeError(f"warm-up answered {warm['statuses']} (see server.log)")
    await drain(inst, RECEIVED)
    web_before, work_before = server.cpu_seconds(), cpu(workers)
    db_before = await pg.cpu_seconds(name)
    timed = await asyncio.to_thread(inbox_bench.run_loadgen, timed_file, url, concurrency)
    web_cpu = server.cpu_seconds() - web_before
    result.accepted = timed["statuses"].get("202", 0)
    result.stored_rate = result.accepted / timed["elapsed"]
    result.web_ms = web_cpu / max(result.accepted, 1) * 1e3
    if timed["statuses"] != {"202": timed_count}:
        result.errors.append(f"inbox POSTs answered {timed['statuses']}")
    await drain(inst, RECEIVED)
    result.processed_rate = result.accepted / (time.time() - timed["started"])
    result.work_ms = (cpu(workers) - work_before) / max(result.accepted, 1) * 1e3
    result.db_ms = (await pg.cpu_seconds(name) - db_before) / max(result.accepted, 1) * 1e3
    result.rows = await count(inst, "SELECT count(*) FROM inbox_items")
    if result.rows != warm_count + result.accepted:
        result.errors.append(f"{result.rows} inbox rows for {warm_count + result.accepted} 202s")
    for state in ("processed", "failed"):
        result.states[state] = await count(
            inst, "SELECT count(*) FROM inbox_items WHERE state = ?", (state,)
        )
    result.reclaimed = await count(inst, "SELECT count(*) FROM inbox_items WHERE attempts > 1")
    result.kept = await count(inst, "SELECT count(*) FROM objects")


async def run_fanout(
    inst: Instance,
    result: Result,
    pg: Server,
    workers: list[inbox_bench.Process],
    rounds: int,
) -> None:
    """A warm-up post, then `rounds` timed ones, each until every delivery is recorded."""
    alice = await inst_member(inst)
    followers = f"{actor_id(inst.urls, alice)}/followers"
    name = result.setup.database or None
    work_cpu = db_cpu = 0.0
    for number in range(rounds + 1):
        work_before, db_before = cpu(workers), await pg.cpu_seconds(name)
        posted = time.time()
        create = await publish_note(
            inst,
            alice,
            {"content": "<p>Who has a ladder?</p>" * 80, "to": [PUBLIC], "cc": [followers]},
        )
        rowid = await inst.db.fetch_value(
            "SELECT id FROM outbox_activities WHERE activity_id = ?", (create["id"],)
        )
        await drain(inst, PENDING)
        row = await inst.db.fetch_one(
            "SELECT count(*), min(finished_at), max(finished_at),"
            " sum(CASE WHEN state = 'delivered' AND attempts = 1 THEN 1 ELSE 0 END)"
            " FROM deliveries WHERE activity_rowid = ?",
            (rowid,),
        )
        assert row is not None
        total, first, last, at_once = int(row[0]), row[1], row[2], int(row[3] or 0)
        if number == 0:
            continue
        work_cpu += cpu(workers) - work_before
        db_cpu += await pg.cpu_seconds(name) - db_before
        result.deliveries += total
        result.retried += total - at_once
        if first is not None and last is not None and last > first:
            result.delivery_rates.append((total - 1) / (last - first))
            result.from_post_rates.append(total / (last - posted))
    result.work_ms_delivery = work_cpu / max(result.deliveries, 1) * 1e3
    result.db_ms_delivery = db_cpu / max(result.deliveries, 1) * 1e3


async def inst_member(inst: Instance) -> LocalActor:
    from fedishare.storage.actors import find_by_username

    member = await find_by_username(inst.db, MEMBER)
    assert member is not None
    return member


def log_errors(site: Path) -> list[str]:
    """ERROR and CRITICAL lines and tracebacks' last lines in the processes' logs, with how
    often each (the first 120 characters of the message) occurred."""
    seen: dict[str, int] = {}
    for log in sorted(site.glob("*.log")):
        lines = log.read_text(errors="replace").splitlines()
        for n, line in enumerate(lines):
            message = ""
            if " ERROR " in line or " CRITICAL " in line:
                message = line
            elif line.startswith("Traceback"):
                tail = next(
                    (x for x in lines[n + 1 :] if x and not x.startswith((" ", "Traceback"))), ""
                )
                message = "traceback: " + tail
            if message:
                key = f"{log.name}: {_strip_time(message)[:160]}"
                seen[key] = seen.get(key, 0) + 1
    return [f"{times}x {key}" for key, times in seen.items()]


def _strip_time(line: str) -> str:
    """The line without its time and request or job ids, so that repeats count as one."""
    if line[:2].isdigit() and " " in line:
        line = line.split(" ", 1)[1]
    return re.sub(r" \[(request|job)=[^\]]*\]", "", line)


async def run_setup(
    setup: Setup,
    pg: Server,
    port: int,
    files: tuple[Path, Path],
    concurrency: int,
    rounds: int,
) -> Result:
    result = Result(setup)
    config = load_config(setup.site / "instance.toml")
    url = f"http://127.0.0.1:{port}/inbox"
    print(f"{setup.backend}, {setup.workers} work process(es) ...", file=sys.stderr)
    try:
        async with open_instance(config) as inst, processes(setup, port) as (server, workers):
            await run_inbox(inst, result, pg, server, workers, files, url, concurrency)
            await run_fanout(inst, result, pg, workers, rounds)
    except Exception as exc:  # reported with the figures: the other setups still run
        result.failure = f"{type(exc).__name__}: {exc}"
        for log in sorted(setup.site.glob("*.log")):
            lines = [x for x in log.read_text(errors="replace").splitlines() if x.strip()]
            result.failure += "".join(f"\n    {log.name}: {x[:200]}" for x in lines[-6:])
    result.errors.extend(log_errors(setup.site))
    return result


# ---------------------------------------------------------------- report


def report(results: list[Result], args: argparse.Namespace, body_size: int) -> None:
    cores = os.cpu_count() or 1
    print(
        f"fedishare scale: {args.activities:,} signed Create(Note)s ({body_size:,} B) from"
        f" {args.actors} actors, {args.concurrency} in flight; fan-out of one Note to"
        f" {args.followers:,} inboxes on 20 ports, median of {args.rounds}; one"
        f" `serve --no-workers` per setup; {cores} CPUs shared by everything; load average"
        f" {args.load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    )
    head = (
        f"{'backend':<10} {'work':>4} {'stored/s':>9} {'web ms':>7} {'processed/s':>11}"
        f" {'work ms':>8} {'db ms':>6} {'deliv/s':>8} {'from post':>9} {'work ms':>8}"
        f" {'db ms':>6}"
    )
    print(head)
    for r in results:
        s = r.setup
        deliv = statistics.median(r.delivery_rates) if r.delivery_rates else 0.0
        post = statistics.median(r.from_post_rates) if r.from_post_rates else 0.0
        db = s.backend == "postgresql"
        print(
            f"{s.backend:<10} {s.workers:>4} {r.stored_rate:>9,.0f} {r.web_ms:>7.2f}"
            f" {r.processed_rate:>11,.0f} {r.work_ms:>8.2f}"
            f" {(f'{r.db_ms:.2f}' if db else '-'):>6}"
            f" {deliv:>8,.0f} {post:>9,.0f} {r.work_ms_delivery:>8.2f}"
            f" {(f'{r.db_ms_delivery:.2f}' if db else '-'):>6}"
        )
    print(
        "ms: CPU per item: web = the web process per stored activity; work = all work"
        " processes per processed activity (left) or per delivery (right); db = the PostgreSQL"
        " backends of the setup's database (SQLite's work is inside the processes)."
    )
    if any(r.setup.workers > cores for r in results):
        print(
            f"This machine has {cores} CPUs, shared with the load generator and PostgreSQL:"
            f" {max(r.setup.workers for r in results)} work processes cannot have more CPU"
            f" than {cores}; beyond {cores} they show what sharing the queues costs, not"
            " more capacity."
        )
    for r in results:
        s = r.setup
        print(
            f"{s.backend} x{s.workers}: {r.accepted:,} accepted, {r.rows:,} inbox rows;"
            f" {r.states.get('processed', 0):,} processed, {r.states.get('failed', 0):,} failed,"
            f" {r.reclaimed:,} claimed more than once; {r.kept:,} notes kept;"
            f" {r.deliveries:,} deliveries timed, {r.retried:,} not delivered at the first"
            " attempt"
        )
        if r.failure:
            print(f"  FAILED: {r.failure}")
        for line in r.errors[:12]:
            print(f"  {line}")
        if len(r.errors) > 12:
            print(f"  ... and {len(r.errors) - 12} more kinds of error")


# ---------------------------------------------------------------- main


async def run(args: argparse.Namespace, root: Path) -> None:
    port = inbox_bench._free_port()
    template = root / "sqlite-template"
    template.mkdir()
    pems, warm_file, timed_file = inbox_bench.prepare(template, port, args.actors, args.activities)
    body_size = len(pickle.loads(timed_file.read_bytes())[0][0])
    files = (warm_file, timed_file)
    counts = [int(n) for n in args.workers.split(",") if n]
    pg = Server(args.postgres)
    made: list[str] = []
    results: list[Result] = []
    with receivers(20, "raw") as started:
        inboxes = follower_inboxes(started.ports, args.followers)
        await seed(template, pems, inboxes)
        setups: list[Setup] = []
        if args.sqlite:
            site = root / "sqlite-1"
            shutil.copytree(template, site)
            setups.append(Setup("sqlite", 1, site))
        if counts:
            await pg.connect()
        try:
            for workers in counts:
                name = f"{DATABASE_PREFIX}{os.getpid()}_{workers}"
                await pg.create(name)
                made.append(name)
                site = root / f"postgresql-{workers}"
                with_database(template, site, database_url(args.postgres, name))
                await seed(site, pems, inboxes)
                setups.append(Setup("postgresql", workers, site, name))
            for setup in setups:
                results.append(
                    await run_setup(setup, pg, port, files, args.concurrency, args.rounds)
                )
        finally:
            for name in made:
                await pg.drop(name)
            await pg.close()
    report(results, args, body_size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--postgres",
        default=os.environ.get("FEDISHARE_TEST_POSTGRES") or DEFAULT_POSTGRES,
        help="a PostgreSQL server's URL, as a role that may create databases",
    )
    parser.add_argument("--workers", default="1,2,4", help="work processes on PostgreSQL")
    parser.add_argument("--activities", type=int, default=3000)
    parser.add_argument("--actors", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--followers", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3, help="timed fan-outs per setup")
    parser.add_argument("--no-sqlite", dest="sqlite", action="store_false")
    args = parser.parse_args()
    args.load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="fedishare-scale-") as tmp:
        asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main()
