"""The first admin, as a newcomer meets it: `fedishare serve` says how to become the admin,
with a fresh link each start until someone has."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.processes import local_site, serving

_LINE = re.compile(
    r"No admin yet: open (http://127\.0\.0\.1:\d+/invite/[\w-]+) to create the first admin"
    r" account \(or run: fedishare account create NAME --admin\)"
)
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def starts(site: Path) -> list[str]:
    """What each start of `fedishare serve` printed, in order."""
    log = (site / "serve.log").read_text()
    return re.split(r"^(?=.*fedishare \S+ serving )", log, flags=re.MULTILINE)[1:]


async def test_serve_prints_a_fresh_admin_invite_until_there_is_an_admin(tmp_path: Path) -> None:
    site, port = await local_site(tmp_path, "oak")
    async with serving(site, port):
        [first] = _LINE.findall(starts(site)[-1])
    async with serving(site, port), httpx.AsyncClient(timeout=10.0) as browser:
        [link] = _LINE.findall(starts(site)[-1])
        assert link != first and link.startswith(f"http://127.0.0.1:{port}/invite/")
        assert (await browser.get(first)).status_code == 404  # each start makes a new one
        form = await browser.get(link)
        assert form.status_code == 200 and "makes you an admin" in form.text
        token = _TOKEN.search(form.text)
        assert token is not None
        joined = await browser.post(
            link, data={"csrf_token": token[1], "username": "ada", "password": "a good password"}
        )
        assert joined.status_code == 303
        admin = await browser.get(f"http://127.0.0.1:{port}/admin")
        assert admin.status_code == 200 and "Sign-up requests" in admin.text

    async with serving(site, port):
        pass
    assert "No admin yet" not in starts(site)[-1]
    assert len(starts(site)) == 3
