"""Conversations: a member's private conversations about listings, and replying from the page."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
