"""What each HTTP request leaves behind besides its answer: a request id in every log line
written for it (and in its X-Request-Id answer header), and its time in a latency histogram
by route template, never by raw path (which would make one series per listing or account).

The counters and histograms are this process's (`prometheus_client`, a registry per app):
with `serve` and `work` in two processes, or several `serve`s, each has its own, and
Prometheus adds them up. Inbox POSTs, which skip the middleware (fedishare.app), are
counted by the inbox's own path (fedishare.inbox.routes) with `HttpMetrics.inbox_path_answered`,
as received or refused by reason.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Callable, Iterable
from contextvars import Token

from prometheus_client import CollectorRegistry, Histogram, ProcessCollector
from prometheus_client import metrics as prometheus_metrics
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString
from starlette.datastructures import MutableHeaders
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fedishare.core.log_context import new_id, request_id, sane_request_id

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
# The latency histogram's buckets (prometheus_client's defaults), +Inf last.
BUCKETS = tuple(float(b) for b in Histogram.DEFAULT_BUCKETS)
_LE = tuple(floatToGoString(b) for b in BUCKETS)  # type: ignore[no-untyped-call]

Labels = tuple[str, ...]


class _Family(Collector):
    """A counter or a histogram by label values, kept in plain lists of numbers: an answer
    adds to one list, and the samples are made only when the registry is collected
    (/metrics). prometheus_client's own Counter and Histogram take a lock and several calls
    for each update, several µs for every inbox POST. Only the event loop's thread updates.

    A series is a list: for a counter its value; for a histogram a count per bucket (not
    cumulative), then the sum. The text it collects to is what Counter and Histogram write.
    """

    def __init__(self, name: str, documentation: str, kind: str, labelnames: Labels = ()) -> None:
        self.name = name
        self.documentation = documentation
        self.kind = kind  # "counter" or "histogram"
        self.labelnames = labelnames
        self.series: dict[Labels, list[float]] = {}
        self.created: dict[Labels, float] = {}
        if not labelnames:
            self.series_of(())  # an unlabelled counter is there from the start, at 0

    def series_of(self, labels: Labels) -> list[float]:
        found = self.series.get(labels)
        if found is None:
            size = len(BUCKETS) + 1 if self.kind == "histogram" else 1
            found = self.series[labels] = [0.0] * size
            self.created[labels] = time.time()
        return found

    def describe(self) -> Iterable[Metric]:
        return [Metric(self.name, self.documentation, self.kind)]

    def collect(self) -> Iterable[Metric]:
        metric = Metric(self.name, self.documentation, self.kind)
        with_created = bool(getattr(prometheus_metrics, "_use_created", True))
        for labels, values in list(self.series.items()):
            base = dict(zip(self.labelnames, labels, strict=True))
            if self.kind == "histogram":
                total = 0.0
                for le, count in zip(_LE, values, strict=False):
                    total += count
                    metric.add_sample(self.name + "_bucket", {**base, "le": le}, total)
                metric.add_sample(self.name + "_count", base, total)
                metric.add_sample(self.name + "_sum", base, values[-1])
            else:
                metric.add_sample(self.name + "_total", base, values[0])
            if with_created:
                metric.add_sample(self.name + "_created", base, self.created[labels])
        return [metric]


def _observe(series: list[float], seconds: float) -> None:
    series[bisect_left(BUCKETS, seconds)] += 1.0  # the first bucket whose bound is >= it
    series[-1] += seconds


class HttpMetrics:
    """This app's request metrics, in a registry of its own (tests run several apps in
    one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)  # CPU, memory, open files of this process
        self.latency = _Family(
            "fedishare_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and method",
            "histogram",
            ("route", "method"),
        )
        self.responses = _Family(
            "fedishare_http_responses",
            "HTTP answers, by route template and status class (2xx, 4xx, ...); inbox POSTs"
            " are in fedishare_inbox_received and _refused instead",
            "counter",
            ("route", "status"),
        )
        self.inbox_received = _Family(
            "fedishare_inbox_received", "Inbox POSTs accepted (202) for processing", "counter"
        )
        self.inbox_refused = _Family(
            "fedishare_inbox_refused", "Inbox POSTs refused, by reason", "counter", ("reason",)
        )
        for family in (self.latency, self.responses, self.inbox_received, self.inbox_refused):
            self.registry.register(family)
        self._received = self.inbox_received.series[()]
        # The inbox's series by path, found once (every inbox POST is counted).
        self._inbox_latency: dict[str, list[float]] = {}

    def answered(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one answer and its time."""
        # Methods are the client's to choose: others in one series, so they stay few.
        _observe(
            self.latency.series_of((route, method if method in _METHODS else "other")), seconds
        )
        status_class = _STATUS_CLASSES.get(status // 100, "other")
        self.responses.series_of((route, status_class))[0] += 1.0

    def inbox_path_answered(self, path: str, status: int, seconds: float) -> None:
        """Count one inbox POST to ``path`` (an inbox's raw path), received or refused (its
        answer's status is in the reason), and its time under the path's route template."""
        series = self._inbox_latency.get(path)
        if series is None:
            if len(self._inbox_latency) >= _MAX_INBOX_PATHS:
                self._inbox_latency.clear()
            series = self._inbox_latency[path] = self.latency.series_of((inbox_route(path), "POST"))
        series[bisect_left(BUCKETS, seconds)] += 1.0
        series[-1] += seconds
        if status == 202:
            self._received[0] += 1.0
        else:
            reason = INBOX_REASONS.get(status, f"status_{status}")
            self.inbox_refused.series_of((reason,))[0] += 1.0


_MAX_INBOX_PATHS = 1_000  # members' inbox paths whose series are remembered


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


def new_request_id() -> tuple[str, Token[str | None]]:
    """`take_request_id` for a request without X-Request-Id."""
    rid = new_id()
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
