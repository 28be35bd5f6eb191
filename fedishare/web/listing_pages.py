"""A listing's page (and its ActivityStreams document at the same URL), the forms that post and
edit listings, and the author's actions."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
