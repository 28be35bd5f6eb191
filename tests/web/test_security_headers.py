"""Every page carries the security headers, a server error included."""

from __future__ import annotations

from pathlib import Path

import httpx
from starlette.requests import Request
from starlette.responses import Response

from fedishare.app import create_app
from fedishare.core.config import default_config_text, load_config
from tests.harness import _WithState


async def test_a_server_error_still_carries_the_security_headers(tmp_path: Path) -> None:
    toml = tmp_path / "instance.toml"
    toml.write_text(default_config_text("oak.test", insecure=True))
    app = create_app(load_config(toml), workers=False)

    async def boom(request: Request) -> Response:
        raise RuntimeError("a bug")

    app.add_route("/boom", boom)
    async with app.router.lifespan_context(app) as state:
        assert state is not None
        transport = httpx.ASGITransport(
            app=_WithState(app, dict(state)), raise_app_exceptions=False
        )
        client = httpx.AsyncClient(transport=transport, base_url="http://oak.test")
        failed = await client.get("/boom")
        fine = await client.get("/board")
        await client.aclose()
    assert failed.status_code == 500 and fine.status_code == 200
    for response in (failed, fine):
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
