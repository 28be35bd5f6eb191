"""Whether the database's WAL stays bounded under a sustained inbox load: checkpoints happen.

`fedishare serve` (its inbox worker in the process) takes `--activities` signed Create(Note)s
from `--actors` remote actors, `--concurrency` in flight (the load generator and the seeding
of bench/inbox.py), while this samples the size of the `-wal` file every SAMPLE_SECONDS,
until every activity is processed. Each inbox batch and each processed batch is a commit,
and every CHECKPOINT_EVERY commits a checkpoint copies the WAL into the database, after
which the next commits reuse the WAL from its start: its size levels off at what some
hundreds of commits write, however long the load lasts, while the database grows.

Printed beside BASELINE: the same run (the defaults) on the code before the checkpoint fix,
where checkpoints failed now and then ("database table is locked", unseen), and nothing cut
the WAL file back after a burst: it kept its largest size for good.

    .venv/bin/python bench/wal.py [--activities 8000] [--actors 20] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import inbox as inbox_bench

SAMPLE_SECONDS = 0.1
MB = 1024 * 1024
# Measured with this script's defaults on the code before the checkpoint fix (two busy
# cores): the file reached 12.5 MB in the first 10 s and stayed so until the end.
BASELINE = "WAL peak 12.5 MB, 12.5 MB at the end (database 31.6 MB), all processed in 71.8 s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--activities", type=int, default=8_000)
    parser.add_argument("--actors", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="fedishare-bench-") as tmp:
        site = Path(tmp) / "site"
        site.mkdir()
        port = inbox_bench._free_port()
        _, warm_file, timed_file = inbox_bench.prepare(site, port, args.actors, args.activities)
        wal = site / "fedishare.sqlite3-wal"
        server = inbox_bench.Server(inbox_bench._fedishare("serve"), site, port)
        try:
            url = f"http://127.0.0.1:{port}/inbox"
            inbox_bench.run_loadgen(warm_file, url, args.concurrency)
            result: dict[str, Any] = {}
            load = threading.Thread(
                target=lambda: result.update(
                    inbox_bench.run_loadgen(timed_file, url, args.concurrency)
                )
            )
            started = time.monotonic()
            load.start()
            sizes = []
            while load.is_alive() or inbox_bench._count(site, "WHERE state = 'received'"):
                sizes.append((time.monotonic() - started, _size(wal)))
                time.sleep(SAMPLE_SECONDS)
            load.join()
            finished = time.monotonic() - started
        finally:
            server.stop()
        database = _size(site / "fedishare.sqlite3")

    print(f"sustained inbox load: {args.activities} activities, {args.concurrency} in flight")
    print(f"  answered: {result['statuses']}; all processed after {finished:.1f} s")
    peak = max(size for _, size in sizes)
    print(
        f"  WAL peak {peak / MB:.1f} MB, {sizes[-1][1] / MB:.1f} MB at the end"
        f" (database {database / MB:.1f} MB)"
    )
    per_second = [size for t, size in sizes if t - int(t) < SAMPLE_SECONDS]
    print("  WAL each second (MB): " + " ".join(f"{s / MB:.1f}" for s in per_second))
    print(f"  baseline: {BASELINE}")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


if __name__ == "__main__":
    main()
