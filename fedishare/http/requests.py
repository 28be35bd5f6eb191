"""What a request carries for us besides itself: the instance that serves it (put in the
request's state by the app's lifespan), for handlers to reach the database, the clock and
the configuration without any global."""

from __future__ import annotations

from starlette.requests import Request

from fedishare.context import Instance


def instance_of(request: Request) -> Instance:
    inst: Instance = request.state.instance
    return inst
