"""`fedishare init` and `fedishare serve`."""

from __future__ import annotations

import asyncio
import logging
import signal
import tomllib
from pathlib import Path

import uvicorn

from fedishare import __version__
from fedishare.accounts import registration
from fedishare.app import create_app
from fedishare.commands.errors import CommandError
from fedishare.commands.gc_tuning import tune_gc
from fedishare.commands.logging_setup import setup_logging
from fedishare.commands.serving_lock import hold_while_serving
from fedishare.core.config import Config, ConfigError, default_config_text, parse_config
from fedishare.lifecycle import open_instance

log = logging.getLogger("fedishare.serve")


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
    # Until the app reloads on SIGHUP (fedishare.reload), one must not end the process: a
    # `systemctl reload` during start-up would stop it for good (systemd counts that clean).
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    host, port = config.instance.listen_host, config.instance.listen_port
    if listen is not None:
        host, _, port_text = listen.rpartition(":")
        if not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise CommandError(f"--listen {listen!r}: expected HOST:PORT, e.g. 127.0.0.1:8080")
        port = int(port_text)

    setup_logging(config.logging, access=access_log)
    access_log = access_log or config.logging.access
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config, workers=workers, reload_on_sighup=True),
            host=host,
            port=port,
            lifespan="on",
            log_config=None,  # ours (setup_logging): uvicorn's lines go to its handler
            log_level=None,
            access_log=access_log,
            proxy_headers=False,
            server_header=False,
            timeout_graceful_shutdown=10,
        )
    )
    log.info(
        "fedishare %s serving %s on %s:%s",
        __version__,
        config.base_url,
        config.instance.listen_host,
        config.instance.listen_port,
    )
    # Held until the process ends: `fedishare restore` refuses meanwhile (serving_lock). A
    # PostgreSQL server is not restored from here, and several web processes may serve it.
    if config.database.is_sqlite or not config.database.url:
        hold_while_serving(config.instance.database)
    first_admin = asyncio.run(first_admin_link(config))
    if first_admin is not None:
        log.warning(
            "No admin yet: open %s to create the first admin account"
            " (or run: fedishare account create NAME --admin)",
            first_admin,
        )
    # uvicorn handles SIGTERM/SIGINT itself, then re-raises the signal to the handlers that
    # were in place before; with these no-ops a clean stop exits with status 0.
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
