"""AiohttpTransport and make_http_client against a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from fedishare.federation.addresses import PrivateHosts
from fedishare.federation.transport import AiohttpTransport, FederationClient, make_http_client
from fedishare.federation.transport_errors import ResponseTooLarge

BINARY = bytes(range(256)) * 8  # every byte value, 2 KB
LIMIT = 64 * 1024
LOOPBACK = PrivateHosts([("127.0.0.1", None)])  # the test server's address may be reached


async def echo(request: Request) -> Response:
    """Answers with the request body as is, and the request line and headers in headers."""
    body = await request.body()
    return Response(
        body,
        status_code=201,
        headers={
            "X-Method": request.method,
            "X-Request-Headers": json.dumps(
                [[k.decode("latin-1"), v.decode("latin-1")] for k, v in request.scope["headers"]]
            ),
        },
        media_type="application/octet-stream",
    )


async def status(request: Request) -> Response:
    code = int(request.path_params["code"])
    return Response(f"status {code}".encode(), status_code=code)


async def slow(request: Request) -> Response:
    await request.app.state.release.wait()
    return Response(b"late")


async def big(request: Request) -> Response:
    return Response(b"x" * (LIMIT + 1))


async def big_stream(request: Request) -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(LIMIT // 1024 + 1):
            yield b"y" * 1024

    return StreamingResponse(chunks())


async def gzipped(request: Request) -> Response:
    size = int(request.query_params["size"])
    return Response(
        gzip.compress(b"z" * size),
        headers={"Content-Encoding": "gzip"},
        media_type="application/activity+json",
    )


async def bad_gzip(request: Request) -> Response:
    return Response(b"not gzip at all", headers={"Content-Encoding": "gzip"})


async def double_gzip(request: Request) -> Response:
    # Nested codings compress far better than one; aiohttp decodes only a single coding.
    body = gzip.compress(gzip.compress(b"z" * 10 * LIMIT))
    return Response(body, headers={"Content-Encoding": "gzip, gzip"})


async def set_cookie(request: Request) -> Response:
    response = JSONResponse({"cookie": request.headers.get("cookie")})
    response.set_cookie("session", "abc")
    return response


async def redirect(request: Request) -> Response:
    return RedirectResponse("/echo", status_code=302)


def make_app() -> Starlette:
    app = Starlette(
        routes=[
            Route("/echo", echo, methods=["GET", "POST", "PUT", "HEAD"]),
            Route("/status/{code}", status),
            Route("/slow", slow),
            Route("/big", big),
            Route("/big-stream", big_stream),
            Route("/gzip", gzipped),
            Route("/bad-gzip", bad_gzip),
            Route("/double-gzip", double_gzip),
            Route("/cookie", set_cookie),
            Route("/redirect", redirect),
        ]
    )
    app.state.release = asyncio.Event()
    return app


@pytest.fixture
async def base_url() -> AsyncIterator[str]:
    app = make_app()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, lifespan="off", ws="none", log_config=None, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.01)
    else:
        raise RuntimeError("uvicorn did not start")
    yield f"http://127.0.0.1:{port}"
    app.state.release.set()
    server.should_exit = True
    await task
    sock.close()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with make_http_client(
        user_agent="fedishare-test/1",
        timeout=5.0,
        max_response_bytes=LIMIT,
        private_hosts=LOOPBACK,
    ) as c:
        yield c


def request_headers(response: httpx.Response) -> list[tuple[str, str]]:
    return [(k, v) for k, v in json.loads(response.headers["X-Request-Headers"])]


async def test_post_round_trip_is_byte_exact(client: httpx.AsyncClient, base_url: str) -> None:
    response = await client.post(
        f"{base_url}/echo",
        content=BINARY,
        headers={"Content-Type": "application/activity+json", "X-Custom": "a, b;c"},
    )
    assert response.status_code == 201
    assert response.reason_phrase == "Created"
    assert response.http_version == "HTTP/1.1"
    assert response.content == BINARY
    assert response.headers["X-Method"] == "POST"
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert request_headers(response) == [
        ("host", base_url.removeprefix("http://")),
        ("accept", "*/*"),
        ("accept-encoding", "gzip, deflate"),
        ("connection", "keep-alive"),
        ("user-agent", "fedishare-test/1"),
        ("content-type", "application/activity+json"),
        ("x-custom", "a, b;c"),
        ("content-length", str(len(BINARY))),
    ]


async def test_get_round_trip(client: httpx.AsyncClient, base_url: str) -> None:
    response = await client.get(
        f"{base_url}/echo", params={"q": "ä b"}, headers={"Accept": "application/activity+json"}
    )
    assert response.status_code == 201
    assert response.content == b""
    assert response.headers["X-Method"] == "GET"
    assert response.url == httpx.URL(f"{base_url}/echo?q=%C3%A4+b")
    sent = dict(request_headers(response))
    assert sent["accept"] == "application/activity+json"
    assert "content-length" not in sent


async def test_streamed_request_body_arrives_whole(
    client: httpx.AsyncClient, base_url: str
) -> None:
    async def body() -> AsyncIterator[bytes]:
        for i in range(0, len(BINARY), 300):
            yield BINARY[i : i + 300]

    response = await client.put(f"{base_url}/echo", content=body())
    assert response.content == BINARY
    assert ("transfer-encoding", "chunked") in request_headers(response)


async def test_head_keeps_content_length(client: httpx.AsyncClient, base_url: str) -> None:
    response = await client.head(f"{base_url}/echo")
    assert response.status_code == 201
    assert response.content == b""
    assert response.headers["Content-Length"] == "0"


@pytest.mark.parametrize("code", [404, 410, 500])
async def test_status_codes_pass_through(
    client: httpx.AsyncClient, base_url: str, code: int
) -> None:
    response = await client.get(f"{base_url}/status/{code}")
    assert response.status_code == code
    assert response.text == f"status {code}"
    with pytest.raises(httpx.HTTPStatusError):
        response.raise_for_status()


async def test_redirects_are_left_to_httpx(client: httpx.AsyncClient, base_url: str) -> None:
    response = await client.get(f"{base_url}/redirect")
    assert response.status_code == 302
    assert response.headers["Location"] == "/echo"

    followed = await client.get(f"{base_url}/redirect", follow_redirects=True)
    assert followed.status_code == 201
    assert followed.url == httpx.URL(f"{base_url}/echo")
    assert [r.status_code for r in followed.history] == [302]


async def test_connection_refused_raises_connect_error(client: httpx.AsyncClient) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(httpx.ConnectError) as caught:
        await client.get(f"http://127.0.0.1:{port}/")
    assert caught.value.request.url == httpx.URL(f"http://127.0.0.1:{port}/")


async def test_slow_server_raises_timeout(base_url: str) -> None:
    async with make_http_client(user_agent="t", timeout=0.2, private_hosts=LOOPBACK) as client:
        with pytest.raises(httpx.TimeoutException) as caught:
            await client.get(f"{base_url}/slow")
    assert isinstance(caught.value, httpx.ReadTimeout)


async def test_response_over_declared_size_is_refused(
    client: httpx.AsyncClient, base_url: str
) -> None:
    with pytest.raises(ResponseTooLarge, match=f"larger than {LIMIT} bytes"):
        await client.get(f"{base_url}/big")
    # The refused connection is not reused for the next request.
    assert (await client.get(f"{base_url}/status/404")).status_code == 404


async def test_streamed_response_over_size_is_refused(
    client: httpx.AsyncClient, base_url: str
) -> None:
    with pytest.raises(ResponseTooLarge) as caught:
        await client.get(f"{base_url}/big-stream")
    assert isinstance(caught.value, httpx.TransportError)
    assert f"{base_url}/big-stream" in str(caught.value)


async def test_size_cap_counts_decoded_bytes(client: httpx.AsyncClient, base_url: str) -> None:
    # A few hundred compressed bytes that inflate past the cap.
    with pytest.raises(ResponseTooLarge):
        await client.get(f"{base_url}/gzip", params={"size": 10 * LIMIT})


async def test_gzip_body_is_decoded_once(client: httpx.AsyncClient, base_url: str) -> None:
    response = await client.get(f"{base_url}/gzip", params={"size": 1000})
    assert response.content == b"z" * 1000
    assert "Content-Encoding" not in response.headers
    assert response.headers["Content-Length"] == "1000"


async def test_undecodable_body_raises_decoding_error(
    client: httpx.AsyncClient, base_url: str
) -> None:
    with pytest.raises(httpx.DecodingError):
        await client.get(f"{base_url}/bad-gzip")


async def test_codings_aiohttp_does_not_decode_are_refused(
    client: httpx.AsyncClient, base_url: str
) -> None:
    with pytest.raises(httpx.DecodingError, match="unsupported Content-Encoding 'gzip'"):
        await client.get(f"{base_url}/double-gzip")


async def test_head_is_not_held_to_the_size_cap(client: httpx.AsyncClient, base_url: str) -> None:
    response = await client.head(f"{base_url}/big")
    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(LIMIT + 1)


async def test_server_closing_without_answer_raises_protocol_error(
    client: httpx.AsyncClient,
) -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(f"http://127.0.0.1:{port}/")


async def test_size_cap_can_be_lifted(base_url: str) -> None:
    async with make_http_client(
        user_agent="t", max_response_bytes=None, private_hosts=LOOPBACK
    ) as client:
        response = await client.get(f"{base_url}/big")
    assert len(response.content) == LIMIT + 1


async def test_client_keeps_no_cookies(client: httpx.AsyncClient, base_url: str) -> None:
    assert isinstance(client, FederationClient)
    first = await client.get(f"{base_url}/cookie")
    assert "session=abc" in first.headers["Set-Cookie"]
    second = await client.get(f"{base_url}/cookie")
    assert second.json() == {"cookie": None}
    assert not client.cookies


async def test_unsupported_scheme(client: httpx.AsyncClient) -> None:
    transport = AiohttpTransport(private_hosts=LOOPBACK)
    with pytest.raises(httpx.UnsupportedProtocol):
        await transport.handle_async_request(httpx.Request("GET", "ftp://127.0.0.1/"))
    await transport.aclose()


async def test_aclose_is_clean_and_final(base_url: str) -> None:
    transport = AiohttpTransport(private_hosts=LOOPBACK)
    async with httpx.AsyncClient(transport=transport) as client:
        assert (await client.get(f"{base_url}/status/410")).status_code == 410
    await transport.aclose()  # a second close is harmless
    with pytest.raises(RuntimeError, match="closed"):
        await transport.handle_async_request(httpx.Request("GET", f"{base_url}/echo"))


async def test_aclose_without_requests() -> None:
    # A lifespan may close a client that never sent anything: that closes it too, without
    # connecting anywhere, and a later request is refused as after any close.
    connections = 0

    async def count(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        writer.close()

    server = await asyncio.start_server(count, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        transport = AiohttpTransport(private_hosts=LOOPBACK)
        await transport.aclose()
        with pytest.raises(RuntimeError, match="the transport has been closed"):
            await transport.handle_async_request(httpx.Request("GET", f"http://127.0.0.1:{port}/"))
        await transport.aclose()  # and closing again is harmless
    assert connections == 0
