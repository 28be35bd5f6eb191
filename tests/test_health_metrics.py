"""/livez, /readyz and /metrics, as a supervisor and Prometheus meet them (and the JSON log
lines of the same `serve`).

A real `fedishare serve` with a member whose new follower's server is down: the Accept waits
in the delivery queue, and /metrics (parsed with prometheus-client's own parser) shows it.
/readyz turns 503 when the database is full and back to 200 when space returns. In process:
/metrics refused to an address not in [metrics] allow, and /readyz naming missing workers.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from fedishare.app import create_app
from fedishare.core.config import ConfigError, default_config_text
from tests.harness import _WithState, make_config
from tests.processes import cli, free_port, serving
from tests.signing_peer import SigningPeer
from tests.waiting import eventually

CAP_MB = 1


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text page: (name, sorted labels) -> value."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _fill(database: Path) -> None:
    """Take every page up to the cap (as tests/test_disk_full.py does)."""
    with closing(sqlite3.connect(database, timeout=10, isolation_level=None)) as conn:
        conn.execute(f"PRAGMA max_page_count={CAP_MB * 256}")
        conn.execute("CREATE TABLE filler (b BLOB)")
        for size in (4000, 1000, 100, 10):
            while True:
                try:
                    conn.execute("INSERT INTO filler VALUES (zeroblob(?))", (size,))
                except sqlite3.OperationalError:
                    break


async def test_metrics_show_a_queued_delivery_and_readyz_a_full_database(tmp_path: Path) -> None:
    port = free_port()
    site = tmp_path / "oak"  # what `fedishare init --http` writes, without a process for it
    site.mkdir()
    config = site / "instance.toml"
    config.write_text(
        default_config_text(f"127.0.0.1:{port}")
        .replace("max_database_mb = 0", f"max_database_mb = {CAP_MB}")
        .replace('format = "text"', 'format = "json"')
        .replace("access = false", "access = true")
    )
    code, _, err = await cli(site, "account", "create", "alice")
    assert code == 0, err
    database = site / "fedishare.sqlite3"
    base = f"http://127.0.0.1:{port}"
    alice = f"{base}/users/alice"
    peer = SigningPeer(["bob"])  # its server is down: deliveries to it wait
    await peer.introduce(database)

    async with serving(site, port), httpx.AsyncClient(base_url=base, timeout=20) as client:
        assert (await client.get("/livez")).text == "ok"
        ready = await client.get("/readyz", headers={"X-Request-Id": "ready-1"})
        assert ready.status_code == 200, ready.text
        assert ready.headers["x-request-id"] == "ready-1"
        assert ready.json()["checks"] == {"database": "ok", "schema": "ok", "workers": "ok"}

        follow = peer.activity("bob", "1", "Follow", alice)
        assert (await peer.send(client, f"{alice}/inbox", follow)).status_code == 202

        async def queued() -> dict[tuple[str, tuple[tuple[str, str], ...]], float] | None:
            r = await client.get("/metrics")
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
            found = samples(r.text)
            depth = found[("fedishare_queue_depth", (("queue", "deliveries"),))]
            return found if depth > 0 else None

        found = await eventually(queued, within=30, every=0.2)
        assert found is not None
        assert found[("fedishare_inbox_received_total", ())] == 1
        assert found[("fedishare_deliveries", (("state", "pending"),))] >= 1
        assert found[("fedishare_queue_oldest_age_seconds", (("queue", "deliveries"),))] >= 0
        assert ("fedishare_queue_depth", (("queue", "inbox"),)) in found
        assert ("fedishare_paused_hosts", ()) in found
        assert found[("process_resident_memory_bytes", ())] > 0  # this process's own
        # Latency by route template, never by raw path.
        inbox_route = (("le", "+Inf"), ("method", "POST"), ("route", "/users/{username}/inbox"))
        assert found[("fedishare_http_request_duration_seconds_bucket", inbox_route)] == 1
        assert not any("/users/alice" in dict(labels).get("route", "") for _, labels in found)

        _fill(database)
        full = await client.get("/readyz")
        assert full.status_code == 503
        assert full.json()["status"] == "unavailable"
        assert "full" in full.json()["checks"]["database"]
        with closing(sqlite3.connect(database, timeout=10)) as conn:
            conn.execute("DROP TABLE filler")
        assert (await client.get("/readyz")).status_code == 200

    # Every line serve wrote is a JSON object, its request's lines carry the request's id.
    lines = [json.loads(line) for line in (site / "serve.log").read_text().splitlines()]
    assert lines and all({"time", "level", "logger", "message"} <= set(x) for x in lines)
    assert all(x["time"].endswith("+00:00") for x in lines)
    [access] = [x for x in lines if x.get("request_id") == "ready-1"]
    assert access["logger"] == "uvicorn.access" and "/readyz" in access["message"]
    assert any(x["logger"] == "fedishare.serve" and "serving" in x["message"] for x in lines)


async def test_metrics_only_to_allowed_addresses_and_readyz_names_missing_workers(
    tmp_path: Path,
) -> None:
    config = make_config(tmp_path, "oak.test", metrics={"allow": ["127.0.0.1", "10.9.0.0/16"]})
    app = create_app(config, workers=False)
    async with app.router.lifespan_context(app) as state:
        assert state is not None

        def client(address: str) -> httpx.AsyncClient:
            transport = httpx.ASGITransport(
                app=_WithState(app, dict(state)), client=(address, 40_000)
            )
            return httpx.AsyncClient(transport=transport, base_url="http://oak.test")

        async with client("10.1.2.3") as outsider, client("10.9.8.7") as monitor:
            refused = await outsider.get("/metrics")
            assert refused.status_code == 403 and "fedishare_" not in refused.text
            assert (await monitor.get("/metrics")).status_code == 200

            # A refused inbox POST is counted by reason; a sane X-Request-Id comes back.
            r = await outsider.post("/inbox", content=b"{}", headers={"X-Request-Id": "abc-123"})
            assert r.status_code == 400 and r.headers["x-request-id"] == "abc-123"
            insane = await outsider.get("/livez", headers={"X-Request-Id": "no spaces <>"})
            assert len(insane.headers["x-request-id"]) == 16
            await outsider.request("BREW", "/livez")  # methods are few labels, not any
            found = samples((await monitor.get("/metrics")).text)
            assert found[("fedishare_inbox_refused_total", (("reason", "invalid"),))] == 1
            brewed = (("le", "+Inf"), ("method", "other"), ("route", "/livez"))
            assert found[("fedishare_http_request_duration_seconds_bucket", brewed)] == 1

            ready = await outsider.get("/readyz")
            assert ready.status_code == 503
            assert "no worker" in ready.json()["checks"]["workers"]
            assert ready.json()["checks"]["database"] == "ok"


def test_metrics_allow_must_name_addresses(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[metrics\] allow: expected a list of IP"):
        make_config(tmp_path, "oak.test", metrics={"allow": ["monitor.example"]})
