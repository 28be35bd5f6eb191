"""What each HTTP request leaves behind besides its answer: a request id in every log line
written for it (and in its X-Request-Id answer header), and its time in a latency histogram
by route template, never by raw path (which would make one series per listing or account).

The counters and histograms are this process's (`prometheus_client`, a registry per app):
with `serve` and `work` in two processes, or several `serve`s, each has its own, and
Prometheus adds them up. Inbox POSTs, which skip the middleware (fedishare.app), are
counted here too, as received or refused by reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from contextvars import Token

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector
from starlette.datastructures import MutableHeaders
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fedishare.core.log_context import request_id, sane_request_id

UNMATCHED = "(unmatched)"  # the route label of requests no route took (404s)
# The inbox's refusals by status: the reasons a sender's activities were turned away.
INBOX_REASONS = {
    400: "invalid",
    401: "signature",
    403: "forbidden",
    404: "no_such_inbox",
    413: "too_large",
    415: "media_type",
    422: "unprocessable",
    429: "rate_limited",
    503: "unavailable",
}


_STATUS_CLASSES = {n: f"{n}xx" for n in range(1, 6)}
_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))


class HttpMetrics:
    """This app's request metrics, in a registry of its own (tests run several apps in
    one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)  # CPU, memory, open files of this process
        self.latency = Histogram(
            "fedishare_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and method",
            ["route", "method"],
            registry=self.registry,
        )
        self.responses = Counter(
            "fedishare_http_responses",
            "HTTP answers, by route template and status class (2xx, 4xx, ...); inbox POSTs"
            " are in fedishare_inbox_received and _refused instead",
            ["route", "status"],
            registry=self.registry,
        )
        self.inbox_received = Counter(
            "fedishare_inbox_received",
            "Inbox POSTs accepted (202) for processing",
            registry=self.registry,
        )
        self.inbox_refused = Counter(
            "fedishare_inbox_refused",
            "Inbox POSTs refused, by reason",
            ["reason"],
            registry=self.registry,
        )

        # Children by label values, kept: `labels()` costs several µs a call.
        self._latency: dict[tuple[str, str], Histogram] = {}
        self._responses: dict[tuple[str, str], Counter] = {}

    def answered(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one answer and its time."""
        self._observe(route, method, seconds)
        key = (route, _STATUS_CLASSES.get(status // 100, "other"))
        responses = self._responses.get(key)
        if responses is None:
            responses = self._responses[key] = self.responses.labels(*key)
        responses.inc()

    def inbox_answered(self, route: str, status: int, seconds: float) -> None:
        """Count one inbox POST (received or refused: its answer's status is in the reason)
        and its time."""
        self._observe(route, "POST", seconds)
        if status == 202:
            self.inbox_received.inc()
        else:
            self.inbox_refused.labels(INBOX_REASONS.get(status, f"status_{status}")).inc()

    def _observe(self, route: str, method: str, seconds: float) -> None:
        # Methods are the client's to choose: others in one series, so they stay few.
        key = (route, method if method in _METHODS else "other")
        latency = self._latency.get(key)
        if latency is None:
            latency = self._latency[key] = self.latency.labels(*key)
        latency.observe(seconds)


class RouteNames:
    """The template of the route that took a request (after it was routed: Starlette's
    router puts the endpoint in the scope)."""

    def __init__(self, routes: Iterable[BaseRoute]) -> None:
        self._by_endpoint: dict[int, list[tuple[Route | Mount, str]]] = {}
        for route in routes:
            if isinstance(route, Route):
                template, endpoint = route.path, route.endpoint
            elif isinstance(route, Mount):
                template, endpoint = route.path + "/{path}", route.app
            else:
                continue
            self._by_endpoint.setdefault(id(endpoint), []).append((route, template))

    def __call__(self, scope: Scope) -> str:
        candidates = self._by_endpoint.get(id(scope.get("endpoint")))
        if not candidates:
            return UNMATCHED
        if len(candidates) == 1:
            return candidates[0][1]
        path = scope.get("path", "")
        for route, template in candidates:  # one endpoint behind several paths
            if route.path_regex.match(path):
                return template
        return candidates[0][1]


def take_request_id(scope: Scope) -> tuple[str, Token[str | None]]:
    """The request's id (its sane X-Request-Id, or a new one), set for its log lines until
    the token is reset."""
    given = None
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            given = value.decode("latin-1")
            break
    rid = sane_request_id(given)
    return rid, request_id.set(rid)


class Observe:
    """ASGI middleware, outermost: request id, X-Request-Id header, latency, status."""

    def __init__(
        self, app: ASGIApp, metrics: HttpMetrics, route_of: Callable[[Scope], str]
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.route_of = route_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid, token = take_request_id(scope)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append("X-Request-Id", rid)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            self.metrics.answered(self.route_of(scope), scope["method"], status, elapsed)
            request_id.reset(token)


def inbox_route(path: str) -> str:
    return path if path in ("/inbox", "/actor/inbox") else "/users/{username}/inbox"


async def observe_inbox(
    app: ASGIApp, metrics: HttpMetrics, scope: Scope, receive: Receive, send: Send
) -> None:
    """`Observe` for the inbox's raw path (the hot path: no middleware), which also counts
    each POST as received or refused by reason."""
    rid, token = take_request_id(scope)
    started = time.perf_counter()
    status = 500

    async def send_with_id(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            message["headers"].append((b"x-request-id", rid.encode("latin-1")))
        await send(message)

    try:
        await app(scope, receive, send_with_id)
    finally:
        elapsed = time.perf_counter() - started
        metrics.inbox_answered(inbox_route(scope["path"]), status, elapsed)
        request_id.reset(token)
