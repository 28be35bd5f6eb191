"""Accounts in the browser: log in and out, sign up (open, approval, invite), settings, password
resets."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
