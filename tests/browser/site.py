"""A real `fedishare serve` on a free loopback port, from a fresh instance.toml, for the browser
to visit."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.processes import cli, local_site, serving

POLICIES = ("open", "approval", "closed")


@dataclass(frozen=True)
class Site:
    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def domain(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def command(self, *args: str) -> str:
        """Run `fedishare ARGS` against this site (the server keeps running); its output."""
        code, out, err = await cli(self.directory, *args)
        assert code == 0, f"fedishare {' '.join(args)} exited with {code}:\n{err}"
        return out

    def log(self) -> str:
        return (self.directory / "serve.log").read_text(errors="replace")


@asynccontextmanager
async def running_site(parent: Path, *, policy: str) -> AsyncIterator[Site]:
    """`fedishare init --http` (allow_insecure, plain http on loopback) with the registration
    policy set, then `fedishare serve` until the block ends; fails if the server logged an
    exception."""
    assert policy in POLICIES, policy
    directory, port = await local_site(parent, "site")
    config = directory / "instance.toml"
    text, changed = re.subn(
        r'^(\[registration\]\n(?:#.*\n)*policy = )"\w+"',
        rf'\1"{policy}"',
        config.read_text(),
        flags=re.MULTILINE,
    )
    assert changed == 1, "instance.toml has no [registration] policy line to set"
    config.write_text(text)
    site = Site(directory, port)
    async with serving(directory, port):
        yield site
    # A page that failed with a 500 may have looked fine to the test that loaded it.
    log = site.log()
    assert "Traceback" not in log, f"fedishare serve logged an error:\n{log[-6000:]}"
