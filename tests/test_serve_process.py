"""`fedishare serve` as a real process: discoverable over the socket, and stable across restarts."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx

from tests.processes import free_port, run_cli, serving

AS = "application/activity+json"


async def fetch_identity(base: str, port: int) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=base, timeout=5.0) as client:
        wf = await client.get(
            "/.well-known/webfinger", params={"resource": f"acct:alice@127.0.0.1:{port}"}
        )
        assert wf.status_code == 200
        href = next(x["href"] for x in wf.json()["links"] if x["rel"] == "self")
        actor = await client.get(href, headers={"Accept": AS})
        assert actor.headers["content-type"] == AS
        doc = actor.json()
        assert doc["id"] == href == f"{base}/users/alice"
        community = (await client.get("/users/community", headers={"Accept": AS})).json()
        instance = (await client.get("/actor", headers={"Accept": AS})).json()
        info = (await client.get("/nodeinfo/2.1")).json()
        return {
            "keys": [d["publicKey"]["publicKeyPem"] for d in (doc, community, instance)],
            "users": info["usage"]["users"]["total"],
        }


async def test_serve_is_discoverable_stops_on_sigterm_and_restarts_the_same(
    tmp_path: Path,
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    init = run_cli(tmp_path, "init", "--domain", f"127.0.0.1:{port}", "--http")
    assert init.returncode == 0, init.stderr
    created = run_cli(tmp_path, "account", "create", "alice")
    assert created.returncode == 0, created.stderr
    assert f"@alice@127.0.0.1:{port}" in created.stdout and "token:" in created.stdout

    async with serving(tmp_path, port) as proc:
        first = await fetch_identity(base, port)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    assert first["users"] == 1
    assert "Application shutdown complete" in (tmp_path / "serve.log").read_text()

    async with serving(tmp_path, port):
        second = await fetch_identity(base, port)
    assert second == first
    listed = run_cli(tmp_path, "account", "list")
    assert listed.stdout.startswith(f"@alice@127.0.0.1:{port}")


async def test_first_serve_without_config_writes_a_working_default(tmp_path: Path) -> None:
    refused = run_cli(tmp_path, "serve", "--config", "missing.toml")
    assert refused.returncode == 1 and "missing.toml: no such file" in refused.stderr
    assert list(tmp_path.iterdir()) == []

    port = free_port()
    async with serving(tmp_path, port, args=("--listen", f"127.0.0.1:{port}")):
        async with httpx.AsyncClient(timeout=5.0) as client:
            info = await client.get(f"http://127.0.0.1:{port}/nodeinfo/2.0")
            assert info.json()["software"]["name"] == "fedishare"
    written = (tmp_path / "instance.toml").read_text()
    assert written.startswith("# fedishare instance configuration.")
    assert (tmp_path / "fedishare.sqlite3").exists()
