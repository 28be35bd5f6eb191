"""Whether any process serves or works on a database: for `fedishare restore`, which must
not replace the file under a running instance.

Every `fedishare serve` and `fedishare work` holds a shared lock on ``DATABASE.serving`` for
its whole life, as processes running workers hold one on ``DATABASE.workers``
(fedishare.workers.presence). The kernel lets go of both when a process ends, however it
ends, so a lock that can be taken exclusively means that no such process is running; a
restore holds both exclusively while it works, so that none starts meanwhile.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fedishare.commands.errors import CommandError
from fedishare.workers.presence import WorkersLock


def _open(database: Path) -> int:
    database.parent.mkdir(parents=True, exist_ok=True)
    return os.open(database.with_name(database.name + ".serving"), os.O_RDWR | os.O_CREAT)


def hold_while_serving(database: Path) -> int:
    """Take the serving lock (shared) for the life of this process; return its descriptor,
    to be kept open. Refused while a restore replaces the database."""
    fd = _open(database)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise CommandError(
            f"{database} — a `fedishare restore` is replacing it; start again when it is done"
        ) from None
    return fd


@contextmanager
def nobody_serving(database: Path) -> Iterator[None]:
    """Hold the database's serving and workers locks exclusively, or refuse."""
    fd = _open(database)
    workers = WorkersLock(database)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CommandError(
                f"{database} — an instance is serving it: stop `fedishare serve` (and any "
                "`fedishare work`) first"
            ) from None
        if not workers.alone():
            raise CommandError(f"{database} — `fedishare work` is running on it: stop it first")
        yield
    finally:
        workers.close()
        os.close(fd)
