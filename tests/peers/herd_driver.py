"""JSON-lines bridge to a real bovine.BovineClient; runs under the peers venv's python.

bovine cannot be imported by the tests themselves (it pins cryptography < 46), so the test
process talks to this script instead: one JSON request per stdin line, one JSON answer per
stdout line. The first line written is {"ok": true, "result": <the actor>} once the client
has signed in (Moo-Auth-1), or {"ok": false, ...} if it could not.

Usage: python herd_driver.py CONFIG_JSON   (CONFIG_JSON holds {"domain": ..., "secret": ...};
the secret is read from a file so it appears in no argv, log or pipe.)
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import traceback
from collections.abc import Awaitable, Callable
from typing import Any, TextIO

from bovine import BovineClient
from bovine.activitystreams.collection_helper import CollectionHelper

Op = Callable[..., Awaitable[Any]]


def _decode(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


async def op_get(client: BovineClient, url: str) -> dict[str, Any]:
    """Moo-Auth-signed GET of one of herd's own resources, whatever the status."""
    response = await client.client.get(url)
    return {"status": response.status, "body": _decode(await response.text())}


async def op_proxy(client: BovineClient, url: str) -> Any:
    """Herd fetches url itself, signing as the actor (its proxyUrl endpoint)."""
    return await client.proxy(url)


async def op_send_to_outbox(client: BovineClient, activity: dict[str, Any]) -> dict[str, Any]:
    response = await client.send_to_outbox(activity)
    return {
        "status": response.status,
        "location": response.headers.get("location"),
        "body": await response.text(),
    }


async def op_collection(client: BovineClient, url: str, limit: int = 100) -> list[Any]:
    """Items of a collection, pages followed and ids resolved through herd's proxy."""
    items: list[Any] = []
    async for item in CollectionHelper(url, client, resolve=True):
        items.append(item)
        if len(items) >= limit:
            break
    return items


async def op_build_follow(client: BovineClient, target: str) -> dict[str, Any]:
    return client.activity_factory.follow(target).build()


async def op_build_accept(client: BovineClient, activity: dict[str, Any]) -> dict[str, Any]:
    return client.activity_factory.accept(activity).build()


async def op_build_create_note(
    client: BovineClient,
    content: str,
    to: list[str] | None = None,
    cc: list[str] | None = None,
    public: bool = False,
) -> dict[str, Any]:
    note = client.object_factory.note(content=content, to=set(to or []), cc=set(cc or []))
    if public:
        note = note.as_public()
    return client.activity_factory.create(note.build()).build()


OPS: dict[str, Op] = {
    "get": op_get,
    "proxy": op_proxy,
    "send_to_outbox": op_send_to_outbox,
    "collection": op_collection,
    "build_follow": op_build_follow,
    "build_accept": op_build_accept,
    "build_create_note": op_build_create_note,
}


def _reply(channel: TextIO, message: dict[str, Any]) -> None:
    channel.write(json.dumps(message) + "\n")
    channel.flush()


async def serve(config: dict[str, str], channel: TextIO) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=64 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    client = BovineClient(domain=config["domain"], secret=config["secret"])
    try:
        await client.init()
    except Exception as error:
        _reply(channel, {"ok": False, "error": repr(error)})
        raise
    try:
        _reply(channel, {"ok": True, "result": client.information})
        while line := await reader.readline():
            request = json.loads(line)
            try:
                result = await OPS[request["op"]](client, **request.get("args", {}))
                _reply(channel, {"ok": True, "result": result})
            except Exception as error:
                traceback.print_exc()
                _reply(channel, {"ok": False, "error": repr(error)})
    finally:
        if client.session is not None:
            await client.session.close()


def main() -> None:
    # Keep the protocol on a private copy of stdout; anything bovine prints goes to the log.
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    with open(sys.argv[1]) as fp:
        config = json.load(fp)
    asyncio.run(serve(config, channel))


if __name__ == "__main__":
    main()
