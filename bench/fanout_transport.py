"""Fan-out of one activity to many inboxes: which HTTP client setup keeps up with RSA signing?

Starts receivers in a child process (N loopback ports standing for many servers), then POSTs a
~2 KB JSON body to `--inboxes` distinct inbox URLs `/users/u{i}/inbox` spread over those ports,
with at most `--concurrency` requests in flight and at most `--per-host` per port, through:

  a        httpx.AsyncClient with its defaults
  b        httpx.AsyncClient with tuned limits (a keep-alive slot for every connection)
  b10      ten httpx.AsyncClients, hosts split between them
  c0       httpx.AsyncClient over fedishare.federation.transport.AiohttpTransport
  c        make_http_client(): the same transport under FederationClient (no cookie jar)
  d        raw aiohttp.ClientSession (reference)
  c+sign   (c) with an RSA-2048 draft-cavage signature made for every delivery
  sign     the signatures alone, no HTTP (the ceiling for c+sign)
  c+sign/thr  (c+sign) with the signing done in a thread pool (one thread per CPU)

Each setup gets its own client and one warm-up round (which opens the connections); then the
setups take turns for `--rounds` rounds, so that load from elsewhere on the machine hits them
alike. Prints the median requests/s (and the range), the ratio to (a), and the CPU time per
request of this process and of the receiver process (both on the same machine).

    .venv/bin/python bench/fanout_transport.py [--server raw|uvicorn] [--loop uvloop|asyncio]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import email.utils
import hashlib
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from fedishare.federation.transport import AiohttpTransport, make_http_client

INBOX_PATH = re.compile(rb"^/users/u\d+/inbox$")
USER_AGENT = "fedishare-bench/0.1"


# ---------------------------------------------------------------- receivers (child process)


def _response(status: bytes) -> bytes:
    return b"HTTP/1.1 " + status + b"\r\ncontent-length: 0\r\ncontent-type: text/plain\r\n\r\n"


ACCEPTED = _response(b"202 Accepted")
BAD_REQUEST = _response(b"400 Bad Request")


class InboxProtocol(asyncio.Protocol):
    """Answers 202 to POST /users/u{i}/inbox with its full body read; nothing else is done."""

    def __init__(self) -> None:
        import httptools

        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._url = b""
        self._body_size = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # uvloop's is no asyncio.Transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        import httptools

        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            assert self._transport is not None
            self._transport.close()

    def on_message_begin(self) -> None:
        self._url = b""
        self._body_size = 0

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_body(self, body: bytes) -> None:
        self._body_size += len(body)

    def on_message_complete(self) -> None:
        assert self._transport is not None
        ok = self._parser.get_method() == b"POST" and INBOX_PATH.match(self._url)
        self._transport.write(ACCEPTED if ok and self._body_size else BAD_REQUEST)
        if not self._parser.should_keep_alive():
            self._transport.close()


async def _inbox_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The same receiver as a bare ASGI app, for uvicorn (uvloop + httptools)."""
    if scope["type"] != "http":
        return
    size = 0
    more = True
    while more:
        message = await receive()
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    ok = scope["method"] == "POST" and INBOX_PATH.match(scope["path"].encode()) and size
    await send(
        {
            "type": "http.response.start",
            "status": 202 if ok else 400,
            "headers": [(b"content-length", b"0"), (b"content-type", b"text/plain")],
        }
    )
    await send({"type": "http.response.body", "body": b""})


def serve(ports: int, kind: str) -> None:
    """Child process: listen on `ports` loopback ports, print them, stop when stdin closes."""
    import uvloop

    async def main() -> None:
        loop = asyncio.get_running_loop()
        sockets = []
        for _ in range(ports):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", 0))
            sock.listen(1024)
            sock.setblocking(False)
            sockets.append(sock)
        stop = asyncio.Event()
        loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not os.read(0, 4096) else None)
        if kind == "raw":
            servers = [await loop.create_server(InboxProtocol, sock=s) for s in sockets]
            print(json.dumps([s.getsockname()[1] for s in sockets]), flush=True)
            await stop.wait()
            for server in servers:
                server.close()
        else:
            import uvicorn

            config = uvicorn.Config(
                _inbox_app,
                loop="none",
                http="httptools",
                lifespan="off",
                access_log=False,
                log_level="warning",
            )
            uvicorn_server = uvicorn.Server(config)
            task = asyncio.create_task(uvicorn_server.serve(sockets=sockets))
            for _ in range(1000):
                if uvicorn_server.started:
                    break
                await asyncio.sleep(0.01)
            else:
                raise RuntimeError("uvicorn did not start")
            print(json.dumps([s.getsockname()[1] for s in sockets]), flush=True)
            await stop.wait()
            uvicorn_server.should_exit = True
            await task

    uvloop.run(main())


@dataclass
class Receivers:
    ports: list[int]
    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU time of the receiver process (Linux; 0 elsewhere)."""
        try:
            with open(f"/proc/{self.pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def receivers(ports: int, kind: str) -> Iterator[Receivers]:
    child = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--serve", str(ports), "--server", kind],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        if not line:
            raise RuntimeError("the receiver process did not start")
        yield Receivers(json.loads(line), child.pid)
    finally:
        assert child.stdin is not None
        child.stdin.close()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


# ---------------------------------------------------------------- senders (this process)


@dataclass
class Plan:
    urls: list[str]
    body: bytes
    concurrency: int
    per_host: int


def activity_body(size: int) -> bytes:
    note = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://fedishare.example/activities/1",
        "type": "Create",
        "actor": "https://fedishare.example/users/alice",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {"type": "Note", "content": ""},
    }
    base = len(json.dumps(note).encode())
    note["object"]["content"] = "x" * max(0, size - base)  # type: ignore[index]
    return json.dumps(note).encode()


Post = Callable[[str, dict[str, str]], Awaitable[int]]


class Signer:
    """draft-cavage RSA-SHA256 over (request-target) host date digest, one per inbox."""

    def __init__(self, body: bytes) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._digest = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()

    def headers(self, url: str) -> dict[str, str]:
        parts = urllib.parse.urlsplit(url)
        date = email.utils.formatdate(usegmt=True)
        signed = (
            f"(request-target): post {parts.path}\n"
            f"host: {parts.netloc}\ndate: {date}\ndigest: {self._digest}"
        )
        signature = self._key.sign(signed.encode(), padding.PKCS1v15(), hashes.SHA256())
        return {
            "Date": date,
            "Digest": self._digest,
            "Content-Type": "application/activity+json",
            "Signature": (
                'keyId="https://fedishare.example/users/alice#main-key",'
                'algorithm="rsa-sha256",headers="(request-target) host date digest",'
                f'signature="{base64.b64encode(signature).decode()}"'
            ),
        }


async def fan_out(
    plan: Plan, post: Post, signer: Signer | None, pool: ThreadPoolExecutor | None = None
) -> None:
    loop = asyncio.get_running_loop()
    in_flight = asyncio.Semaphore(plan.concurrency)
    per_host: dict[str, asyncio.Semaphore] = {}
    plain = {"Content-Type": "application/activity+json"}
    failures: list[str] = []

    async def deliver(url: str) -> None:
        host = url.split("/", 3)[2]
        host_slots = per_host.setdefault(host, asyncio.Semaphore(plan.per_host))
        async with in_flight, host_slots:
            if signer is None:
                headers = plain
            elif pool is None:
                headers = signer.headers(url)
            else:  # cryptography lets go of the GIL while it signs
                headers = await loop.run_in_executor(pool, signer.headers, url)
            status = await post(url, headers)
            if status != 202:
                failures.append(f"{url}: {status}")

    await asyncio.gather(*(deliver(url) for url in plan.urls))
    if failures:
        raise RuntimeError(f"{len(failures)} deliveries failed, e.g. {failures[0]}")


@dataclass
class Setup:
    post: Post
    signer: Signer | None = None
    pool: ThreadPoolExecutor | None = None
    rates: list[float] = field(default_factory=list)
    cpu: float = 0.0
    receiver_cpu: float = 0.0


def httpx_post(client: httpx.AsyncClient, body: bytes) -> Post:
    async def post(url: str, headers: dict[str, str]) -> int:
        response = await client.post(url, content=body, headers=headers)
        return response.status_code

    return post


async def open_setup(name: str, plan: Plan, stack: contextlib.AsyncExitStack) -> Setup:
    body = plan.body
    if name == "a":
        client = await stack.enter_async_context(httpx.AsyncClient())
        return Setup(httpx_post(client, body))
    if name == "b":
        limits = httpx.Limits(
            max_connections=100, max_keepalive_connections=100, keepalive_expiry=60
        )
        client = await stack.enter_async_context(httpx.AsyncClient(limits=limits))
        return Setup(httpx_post(client, body))
    if name == "b10":
        limits = httpx.Limits(max_connections=20, max_keepalive_connections=20)
        clients = [
            await stack.enter_async_context(httpx.AsyncClient(limits=limits)) for _ in range(10)
        ]
        hosts = sorted({url.split("/", 3)[2] for url in plan.urls})
        by_host = {host: clients[i % len(clients)] for i, host in enumerate(hosts)}

        async def post(url: str, headers: dict[str, str]) -> int:
            client = by_host[url.split("/", 3)[2]]
            return (await client.post(url, content=body, headers=headers)).status_code

        return Setup(post)
    if name == "c0":
        client = await stack.enter_async_context(
            httpx.AsyncClient(transport=AiohttpTransport(max_per_host=plan.per_host))
        )
        return Setup(httpx_post(client, body))
    if name in ("c", "c+sign"):
        client = await stack.enter_async_context(
            make_http_client(user_agent=USER_AGENT, max_per_host=plan.per_host)
        )
        return Setup(httpx_post(client, body), Signer(body) if name == "c+sign" else None)
    if name == "c+sign/thr":
        client = await stack.enter_async_context(
            make_http_client(user_agent=USER_AGENT, max_per_host=plan.per_host)
        )
        pool = stack.enter_context(ThreadPoolExecutor(os.cpu_count() or 1))
        return Setup(httpx_post(client, body), Signer(body), pool)
    if name == "d":
        connector = aiohttp.TCPConnector(limit=100, limit_per_host=plan.per_host)
        session = await stack.enter_async_context(aiohttp.ClientSession(connector=connector))

        async def raw_post(url: str, headers: dict[str, str]) -> int:
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                return response.status

        return Setup(raw_post)
    if name == "sign":

        async def sign_only(url: str, headers: dict[str, str]) -> int:
            return 202

        return Setup(sign_only, Signer(body))
    raise ValueError(f"unknown setup {name!r}")


async def run(args: argparse.Namespace, receivers: Receivers) -> None:
    ports = receivers.ports
    plan = Plan(
        urls=[
            f"http://127.0.0.1:{ports[i % len(ports)]}/users/u{i}/inbox"
            for i in range(args.inboxes)
        ],
        body=activity_body(args.body_bytes),
        concurrency=args.concurrency,
        per_host=args.per_host,
    )
    names = args.setups.split(",")
    print(
        f"{args.inboxes} inboxes on {len(ports)} ports, {len(plan.body)} B body, "
        f"{args.concurrency} in flight, <= {args.per_host} per host, server={args.server}, "
        f"loop={args.loop}; median of {args.rounds} rounds after 1 warm-up, setups interleaved"
    )
    async with contextlib.AsyncExitStack() as stack:
        setups = {name: await open_setup(name, plan, stack) for name in names}
        for setup in setups.values():
            await fan_out(
                plan, setup.post, setup.signer, setup.pool
            )  # warm-up: opens the connections
        for _ in range(args.rounds):
            for setup in setups.values():
                cpu_start, start = time.process_time(), time.perf_counter()
                receiver_start = receivers.cpu_seconds()
                await fan_out(plan, setup.post, setup.signer, setup.pool)
                setup.rates.append(len(plan.urls) / (time.perf_counter() - start))
                setup.cpu += time.process_time() - cpu_start
                setup.receiver_cpu += receivers.cpu_seconds() - receiver_start

    print(
        f"{'setup':<10} {'req/s':>8} {'min-max':>12} {'vs a':>6} "
        f"{'client CPU µs/req':>18} {'receiver CPU µs/req':>20}"
    )
    baseline = statistics.median(setups["a"].rates) if "a" in setups else None
    for name, setup in setups.items():
        rate = statistics.median(setup.rates)
        spread = f"{min(setup.rates):.0f}-{max(setup.rates):.0f}"
        ratio = f"{rate / baseline:5.1f}x" if baseline else "    -"
        requests = len(setup.rates) * len(plan.urls)
        cpu_us = setup.cpu / requests * 1e6
        receiver_us = setup.receiver_cpu / requests * 1e6
        print(f"{name:<10} {rate:8.0f} {spread:>12} {ratio:>6} {cpu_us:18.0f} {receiver_us:20.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--inboxes", type=int, default=1000)
    parser.add_argument("--ports", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--per-host", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--body-bytes", type=int, default=2048)
    parser.add_argument("--server", choices=("raw", "uvicorn"), default="raw")
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    parser.add_argument("--setups", default="a,b,b10,c0,c,d,sign,c+sign,c+sign/thr")
    parser.add_argument("--serve", type=int, metavar="PORTS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.server)
        return
    with receivers(args.ports, args.server) as started:
        if args.loop == "uvloop":
            import uvloop

            uvloop.run(run(args, started))
        else:
            asyncio.run(run(args, started))


if __name__ == "__main__":
    main()
