"""Profiles: members' and the community's pages, remote follow, followers, following and follow
requests."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
