"""Admin pages: sign-up requests, members, listings, domains."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
