"""`fedishare init` and `fedishare serve`."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys
import tomllib
from pathlib import Path

import uvicorn

from fedishare import __version__
from fedishare.accounts import registration
from fedishare.app import create_app
from fedishare.commands.errors import CommandError
from fedishare.core.config import Config, ConfigError, default_config_text, parse_config
from fedishare.lifecycle import open_instance


def cmd_init(path: Path, domain: str, http: bool, force: bool) -> int:
    if path.exists() and not force:
        raise CommandError(f"{path} exists; pass --force to overwrite it")
    text = default_config_text(domain.strip().lower(), insecure=http)
    # Check before writing, so a bad --domain leaves nothing behind.
    try:
        parse_config(tomllib.loads(text), path)
    except ConfigError as e:
        raise CommandError(f"--domain {domain!r}: {str(e).split(': ', 2)[-1]}") from None
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path} for {domain}{' (local, plain http)' if http else ''}")
    return 0


def cmd_serve(
    config: Config, listen: str | None = None, *, access_log: bool = False, workers: bool = True
) -> int:
    host, port = config.instance.listen_host, config.instance.listen_port
    if listen is not None:
        host, _, port_text = listen.rpartition(":")
        if not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise CommandError(f"--listen {listen!r}: expected HOST:PORT, e.g. 127.0.0.1:8080")
        port = int(port_text)

    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config, workers=workers),
            host=host,
            port=port,
            lifespan="on",
            log_level="info",
            access_log=access_log,
            proxy_headers=False,
            server_header=False,
            timeout_graceful_shutdown=10,
        )
    )
    print(
        f"fedishare {__version__} serving {config.base_url} on "
        f"{config.instance.listen_host}:{config.instance.listen_port}",
        file=sys.stderr,
    )
    first_admin = asyncio.run(first_admin_link(config))
    if first_admin is not None:
        print(
            f"No admin yet: open {first_admin} to create the first admin account"
            " (or run: fedishare account create NAME --admin)",
            file=sys.stderr,
        )
    # uvicorn handles SIGTERM/SIGINT itself, then re-raises the signal to the handlers that
    # were in place before; with these no-ops a clean stop exits with status 0.
    # Every outgoing request at INFO would drown the log.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
    tune_gc()
    server.run()
    return 0 if server.started else 1


async def first_admin_link(config: Config) -> str | None:
    """While the instance has no admin: a fresh one-time admin invite link for the operator
    (each start makes a new one; the earlier ones stop working)."""
    async with open_instance(config) as inst:
        code = await registration.first_admin_invite(inst)
        return None if code is None else registration.invite_url(inst, code)


# Young-generation collections every 700 allocations ran hundreds of times a second under
# load; a request allocates a few hundred objects, nearly all freed by reference counting.
GC_GEN0_THRESHOLD = 20_000


def tune_gc() -> None:
    """Collect less often, and move what start-up made (modules, the app) out of the
    collector's sight, so that full collections do not walk it again and again."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GC_GEN0_THRESHOLD, gen1, gen2)
