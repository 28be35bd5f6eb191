"""Serves fediverse-pasture's verify_actor app; runs under the peers venv's python.

Usage: python pasture_server.py FD HOST:PORT TIMEOUT

Its own CLI binds 0.0.0.0 and its get_app() is broken in 0.2.25, so the app is built here
and served by uvicorn on the already-listening loopback socket FD handed down by the tests.
Test-actor keys are generated into ./data.toml of the working directory.
"""

from __future__ import annotations

import logging
import socket
import sys

import uvicorn
from fediverse_pasture.verify_actor import build_app


def main() -> None:
    fd, domain, timeout = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    app = build_app(False, domain, False, timeout)
    # verify_actor turns on DEBUG logging for everything at import, which dumps whole request
    # headers and fetched keys into the log; INFO says what happened without them.
    logging.getLogger().setLevel(logging.INFO)
    config = uvicorn.Config(app, loop="asyncio", http="h11", log_level="info", lifespan="on")
    uvicorn.Server(config).run(sockets=[socket.socket(fileno=fd)])


if __name__ == "__main__":
    main()
