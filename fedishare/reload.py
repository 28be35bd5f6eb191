"""SIGHUP: read instance.toml again and apply what can change while running.

An operator edits the block list or a rate limit and runs `systemctl reload` (or
`kill -HUP PID`): the new file is checked whole, as at start, and a bad one is refused
with the key and what was expected, the old settings kept. Otherwise each changed setting
gets one log line. Applied at once: [federation] allow and block (a new `DomainPolicy`,
then `hidden_authors` rebuilt, as at start), the rate limits (the live limiters retuned in
place, so the buckets keep their counts), [logging] level, [metrics] allow and [federation]
reject_reports. Everything
else (the domain, the listen address, the database, ...) is read once at start: a change
is logged as needing a restart and not applied, so the process never runs half on each
file.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fedishare.context import Instance
from fedishare.core.config import Config, ConfigError, load_config
from fedishare.core.domain_policy import DomainPolicy
from fedishare.core.rate_limit import RateLimiter
from fedishare.http.rate_limits import AddressLimit, RateLimits
from fedishare.moderation import domain_blocks

log = logging.getLogger(__name__)

# The rate limits, each applied by retuning the limiters that count against it.
RATE_LIMITS = (
    "inbox_requests_per_minute",
    "inbox_requests_per_address_per_minute",
    "requests_per_address_per_5min",
    "api_requests_per_5min",
    "logins_per_5min",
    "signups_per_30min",
    "password_resets_per_5min",
)
# The lists of domains that may not (or alone may) federate: applied by a new DomainPolicy.
LISTS = (("federation", "allow"), ("federation", "block"))
# Read from the instance's settings at each request: applied by replacing them.
READ_EACH_TIME = (("metrics", "allow"), ("logging", "level"), ("federation", "reject_reports"))
RELOADABLE = frozenset([*LISTS, *(("limits", key) for key in RATE_LIMITS), *READ_EACH_TIME])

Limiters = Mapping[str, Sequence[RateLimiter]]


@dataclasses.dataclass(frozen=True)
class Changes:
    """What a new file changes: the settings to apply, and the lines to log."""

    applied: Config  # the running settings with the reloadable changes taken in
    lines: tuple[str, ...]  # one per setting applied
    restart: tuple[str, ...]  # one per setting that needs a restart
    keys: frozenset[tuple[str, str]]  # (section, key) of each setting applied


def compare(old: Config, new: Config) -> Changes:
    """Every setting that differs between `old` and `new`, by its instance.toml name; the
    ones in `RELOADABLE` are taken into `applied`, the others stay as `old` has them."""
    lines: list[str] = []
    restart: list[str] = []
    keys: set[tuple[str, str]] = set()
    before, after = settings(old), settings(new)
    for name, was in before.items():
        now = after.get(name)
        if was == now:
            continue
        section, _, key = name.partition(".")
        if (section, key) not in RELOADABLE:
            restart.append(f"{name}: {_show(was)} -> {_show(now)}{_RESTART}")
        elif isinstance(was, tuple) and isinstance(now, tuple):
            keys.add((section, key))
            lines.append(f"{name}: {_list_change(was, now)}")
        else:
            keys.add((section, key))
            lines.append(f"{name}: {_show(was)} -> {_show(now)}")
    sections: dict[str, Any] = {}
    for section, key in sorted(keys):
        part = sections.get(section, getattr(old, section))
        sections[section] = dataclasses.replace(part, **{key: getattr(getattr(new, section), key)})
    return Changes(
        applied=dataclasses.replace(old, **sections),
        lines=tuple(lines),
        restart=tuple(restart),
        keys=frozenset(keys),
    )


def settings(config: Config) -> dict[str, object]:
    """Each setting by its name in instance.toml ("section.key")."""
    found: dict[str, object] = {}
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        if field.name == "path":
            continue
        if not dataclasses.is_dataclass(value) or isinstance(value, type):
            found[f"{field.name}.policy" if field.name == "registration" else field.name] = value
            continue
        for item in dataclasses.fields(value):
            found[f"{field.name}.{item.name}"] = getattr(value, item.name)
    # [instance] listen is kept as its two parts.
    host, port = found.pop("instance.listen_host", None), found.pop("instance.listen_port", None)
    found["instance.listen"] = f"{host}:{port}"
    return found


_RESTART = " (needs a restart; not applied)"


def _show(value: object) -> str:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return repr(value) if isinstance(value, str) else str(value)


def _list_change(was: tuple[object, ...], now: tuple[object, ...]) -> str:
    added = [d for d in now if d not in was]
    removed = [d for d in was if d not in now]
    parts = []
    if added:
        parts.append("added " + ", ".join(map(str, added)))
    if removed:
        parts.append("removed " + ", ".join(map(str, removed)))
    return "; ".join(parts) or "reordered"


def retune(limiter: RateLimiter, limit: int) -> None:
    """Give `limiter` a new limit over the same period, keeping each key's bucket: a client
    near its old limit is not handed a fresh one (a bucket above the new size is cut down
    to it at its next request)."""
    period = limiter.limit / limiter.rate
    limiter.limit = limit
    limiter.capacity = float(limit)
    limiter.rate = limit / period


def web_limiters(limits: RateLimits, addresses: AddressLimit) -> dict[str, list[RateLimiter]]:
    """The limiters of `fedishare serve`'s middleware and inbox, by their [limits] key."""
    return {
        "requests_per_address_per_5min": [limits.address.limiter],
        "api_requests_per_5min": [limits.api.limiter],
        "logins_per_5min": [limits.logins.limiter],
        "signups_per_30min": [limits.signups.limiter],
        "password_resets_per_5min": [limits.resets.limiter],
        "inbox_requests_per_address_per_minute": [addresses.limiter],
    }


class Reloader:
    """Reloads one instance's settings; `install` makes SIGHUP do it, in the running loop.
    Reloads run one at a time: a signal during one starts another after it."""

    def __init__(self, inst: Instance, limiters: Limiters | None = None) -> None:
        self.inst = inst
        self.limiters: dict[str, list[RateLimiter]] = {
            key: list(found) for key, found in (limiters or {}).items()
        }
        self.limiters.setdefault("inbox_requests_per_minute", []).append(inst.inbox_limiter)
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    async def reload(self) -> bool:
        """Read the file again and apply it; False (old settings kept) if it is refused."""
        async with self._lock:
            path = self.inst.config.path
            try:
                new = await asyncio.to_thread(load_config, path)
            except (ConfigError, OSError) as e:  # OSError: unreadable (permissions)
                log.error("%s not reloaded, the old settings stay: %s", path.name, e)
                return False
            changes = compare(self.inst.config, new)
            # Logged first, so that a line lowering the level is still written.
            for line in changes.lines:
                log.info("%s", line)
            for line in changes.restart:
                log.warning("%s", line)
            if not changes.lines and not changes.restart:
                log.info("%s reloaded: nothing changed", path.name)
            self.apply(changes)
            if changes.keys & set(LISTS):
                await self._rehide()
            else:
                await self._refresh_moderation()
            return True

    async def _refresh_moderation(self) -> None:
        """The admins' blocks as the database has them now: `fedishare domain block` run
        from a shell, or another process's page, applies here at once on SIGHUP rather than
        at the next periodic reload."""
        try:
            await domain_blocks.reload(self.inst)
        except Exception:  # a busy database: the periodic reload catches up
            log.exception("the admins' blocks were not read again; the periodic reload does it")

    async def _rehide(self) -> None:
        """What the lists now hide, in the database every process reads, as at start."""
        try:
            await domain_blocks.start(self.inst)
        except Exception:  # a busy database: the lists apply all the same
            log.exception(
                "hidden authors were not recomputed for the new lists; the next reload or"
                " start does it"
            )

    def apply(self, changes: Changes) -> None:
        """Take `changes` into this process, at once (no await: no request sees half)."""
        inst, config = self.inst, changes.applied
        inst.config = config
        if changes.keys & set(LISTS):
            # The configured lists are fixed in a policy when it is made: make a new one,
            # with the admins' lists as they stand.
            old = inst.domains
            policy = DomainPolicy(config.federation, old.blocked)
            policy.replace_moderation(old.silenced, old.accounts)
            inst.domains = policy
        for section, key in changes.keys:
            if section == "limits":
                for limiter in self.limiters.get(key, []):
                    retune(limiter, getattr(config.limits, key))
            elif (section, key) == ("logging", "level"):
                # As fedishare.commands.logging_setup sets it at start: the root logger's.
                logging.getLogger().setLevel(config.logging.level.upper())

    def install(self) -> None:
        """From now on, SIGHUP reloads (call in the running loop)."""
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self._signalled)

    def _signalled(self) -> None:
        log.info("SIGHUP: reading %s again", self.inst.config.path.name)
        task = asyncio.create_task(self._reload_logged(), name="reload")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _reload_logged(self) -> None:
        try:
            await self.reload()
        except Exception:  # a bug: logged, and the process goes on as it was
            log.exception("reloading %s failed", self.inst.config.path.name)

    async def close(self) -> None:
        """SIGHUP no longer reloads; a reload under way is cancelled."""
        asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
