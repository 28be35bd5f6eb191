"""The board: the neighbourhood's and the network's listings, filtered, on a list and a map; tags;
the Atom feed."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
