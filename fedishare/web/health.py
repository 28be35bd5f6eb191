"""What a supervisor and a monitoring system ask the instance: `/livez` (the process
answers), `/readyz` (it can do its work: the database takes writes and has this fedishare's
schema, and workers are alive, here or in a `fedishare work` process) and `/metrics`
(Prometheus' text format, only to the addresses in instance.toml's [metrics] allow).

The queue numbers in /metrics are read from the database when it is scraped, so they are
the whole instance's; the request counters and histograms are this process's
(fedishare.http.observe).
"""

from __future__ import annotations

import ipaddress

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from fedishare.context import Instance
from fedishare.http.observe import HttpMetrics
from fedishare.storage import queue_stats
from fedishare.storage.database import SQLITE
from fedishare.storage.health import schema_problem, write_problem
from fedishare.storage.heartbeat import STALE_SECONDS, seconds_since_beat, server_workers_running

METRICS_STATE = "metrics"  # the lifespan state key of the app's HttpMetrics
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


async def livez(request: Request) -> Response:
    return PlainTextResponse("ok")


async def readyz(request: Request) -> Response:
    """200 when every check passes; else 503, the body naming what is wrong."""
    inst: Instance = request.state.instance
    checks = {
        "database": await write_problem(inst.db),
        "schema": await schema_problem(inst.db),
        "workers": await workers_problem(inst),
    }
    ready = not any(checks.values())
    return JSONResponse(
        {
            "status": "ready" if ready else "unavailable",
            "checks": {name: problem or "ok" for name, problem in checks.items()},
        },
        status_code=200 if ready else 503,
        headers={"Cache-Control": "no-store"},
    )


async def workers_problem(inst: Instance) -> str | None:
    if inst.db.dialect != SQLITE:  # processes on several machines: the server's lock says
        if await server_workers_running(inst.db):
            return None
        return "no worker runs on this database (start `fedishare work`, or serve with workers)"
    age = seconds_since_beat(inst.config.instance.database, inst.clock().timestamp())
    if age is None:
        return "no worker has run on this database (start `fedishare work`, or serve with workers)"
    if age > STALE_SECONDS:
        return f"no worker alive: the last heartbeat was {age:.0f} s ago"
    return None


def allowed(inst: Instance, client: str | None) -> bool:
    """Whether `client` (the address the rate limits resolved, behind trusted proxies) is
    in [metrics] allow."""
    if client is None:
        return False
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(net, strict=False) for net in inst.config.metrics.allow
    )


async def metrics(request: Request) -> Response:
    inst: Instance = request.state.instance
    if not allowed(inst, request.client.host if request.client else None):
        return PlainTextResponse("metrics are not served to your address", status_code=403)
    snapshot = CollectorRegistry(auto_describe=False)
    snapshot.register(_Snapshot(await queue_families(inst)))
    process: HttpMetrics = getattr(request.state, METRICS_STATE)
    body = generate_latest(process.registry) + generate_latest(snapshot)
    return Response(body, media_type=PROMETHEUS_TEXT, headers={"Cache-Control": "no-store"})


async def queue_families(inst: Instance) -> list[Metric]:
    """The queues, deliveries and paused hosts as they stand in the database now."""
    now = inst.clock().timestamp()
    depth = GaugeMetricFamily(
        "fedishare_queue_depth", "Items waiting in a queue (inbox, deliveries)", labels=["queue"]
    )
    age = GaugeMetricFamily(
        "fedishare_queue_oldest_age_seconds",
        "Age of the oldest item waiting in a queue (0 when empty)",
        labels=["queue"],
    )
    for stat in await queue_stats.queue_stats(inst.db, now):
        depth.add_metric([stat.name], stat.depth)
        age.add_metric([stat.name], stat.oldest_age_seconds or 0.0)
    deliveries = GaugeMetricFamily(
        "fedishare_deliveries",
        "Delivery rows kept, by state (finished ones until [retention] finished_days)",
        labels=["state"],
    )
    for state, count in (await queue_stats.deliveries_by_state(inst.db)).items():
        deliveries.add_metric([state], count)
    inbox = GaugeMetricFamily(
        "fedishare_inbox_items", "Inbox items kept, by state", labels=["state"]
    )
    for state, count in (await queue_stats.inbox_by_state(inst.db)).items():
        inbox.add_metric([state], count)
    paused = await queue_stats.paused_hosts(inst.db, now)
    paused_count = GaugeMetricFamily(
        "fedishare_paused_hosts", "Hosts that deliveries leave alone for now", value=len(paused)
    )
    paused_until = GaugeMetricFamily(
        "fedishare_host_paused_until_seconds",
        "Until when (unix time) deliveries leave a paused host alone",
        labels=["host"],
    )
    for host in paused:
        paused_until.add_metric([host.host], host.until)
    return [depth, age, deliveries, inbox, paused_count, paused_until]


class _Snapshot(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> list[Metric]:
        return self.families


routes = [
    Route("/livez", livez, methods=["GET", "HEAD"]),
    Route("/readyz", readyz, methods=["GET", "HEAD"]),
    Route("/metrics", metrics, methods=["GET"]),
]
