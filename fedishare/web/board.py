"""The board: the neighbourhood's and the network's listings, filtered, on a list and a map; tags;
the Atom feed."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from fedishare.context import Instance
from fedishare.storage import stats
from fedishare.web.pages import render


async def home(request: Request) -> Response:
    inst: Instance = request.state.instance
    cfg = inst.config
    counts = await stats.usage(inst.db, inst.clock())
    return await render(
        request,
        "home.html",
        description=[p for p in cfg.community.description.split("\n\n") if p.strip()],
        community_url=inst.urls.actor(cfg.community.handle),
        rules=cfg.community.rules,
        members=counts.members,
        registration=cfg.registration,
    )


routes: list[BaseRoute] = [Route("/", home)]
