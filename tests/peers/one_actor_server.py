"""Serves fediverse-pasture's one_actor (one signing actor, http://HOST/actor) and sends
fediverse-pasture-inputs from it; runs under the peers venv's python.

Usage: python one_actor_server.py FD HOST:PORT

one_actor's own command binds 0.0.0.0 and only logs what reaches its inbox, so the app is
built here from the same parts (its actor blueprint, keys in ./data.toml) and served by
uvicorn on the listening loopback socket FD that the tests hand down. Two additions:

- a Follow that reaches the actor's inbox is answered with an Accept, so that a fedishare
  member's follow of the actor becomes accepted (and fedishare keeps what it then posts);
- `POST /_send` with JSON `{"to": ACTOR_URI, "inputs": [[SET, INDEX], ...], "notes": [{...}]}`
  sends, one after the other, a Create of a Note built by pasture's own ActivitySender for
  each input example (and each extra note fragment) to ACTOR_URI; it answers
  `[{"input": SET, "index": INDEX, "id": NOTE_ID, "ok": bool}, ...]`;
- `GET /_counts`: how many examples each input set holds.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
import uuid
from typing import Any

import aiohttp
import fediverse_pasture_inputs
import uvicorn
from fediverse_pasture.data_provider import DataProvider, bovine_actor_for_actor_data
from fediverse_pasture.runner import ActivitySender
from fediverse_pasture.server import BlueprintForActors
from quart import Quart, request

logger = logging.getLogger("one_actor_server")


def build_app(domain: str) -> Quart:
    data = DataProvider.generate_and_load(False)
    actor_id = f"http://{domain}/actor"
    app = Quart(__name__)
    state: dict[str, Any] = {}
    tasks: set[asyncio.Task[None]] = set()

    @app.before_serving
    async def start() -> None:
        session = aiohttp.ClientSession()
        bovine_actor, actor = bovine_actor_for_actor_data(actor_id, data.one_actor)
        await bovine_actor.init(session=session)
        state.update(session=session, bovine=bovine_actor, actor=actor)

    @app.after_serving
    async def stop() -> None:
        await state["session"].close()

    async def accept(follow: dict[str, Any]) -> None:
        follower = follow.get("actor")
        remote = await state["bovine"].get(follower)
        answer = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{actor_id}/accept/{uuid.uuid4()}",
            "type": "Accept",
            "actor": actor_id,
            "object": follow,
        }
        result = await state["bovine"].post(remote["inbox"], answer)
        logger.info("accepted %s: %s", follow.get("id"), getattr(result, "status", result))

    async def on_inbox(data: dict[str, Any]) -> None:
        logger.info("inbox: %s %s", data.get("type"), data.get("id"))
        if data.get("type") == "Follow":
            task = asyncio.create_task(accept(data))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    app.register_blueprint(BlueprintForActors(actors=[data.one_actor], on_inbox=on_inbox).blueprint)

    async def send(to: str, fragment: dict[str, Any]) -> tuple[str, bool]:
        sender = ActivitySender.for_actor(state["bovine"], state["actor"])
        sender.sleep_after_getting_inbox = False
        sender.init_create_note(lambda note: {**note, "content": "text", **fragment})
        try:
            result = await sender.send(to)
        except Exception:
            logger.exception("sending %s failed", fragment)
            return str(sender.object_id), False
        status = getattr(result, "status", 0)
        logger.info("sent %s: %s", sender.object_id, status)
        return str(sender.object_id), result is not None and 200 <= status < 300

    @app.get("/_counts")
    async def counts() -> Any:
        return {name: len(d.examples) for name, d in fediverse_pasture_inputs.available.items()}

    @app.post("/_send")
    async def send_inputs() -> Any:
        body = await request.get_json()
        out = []
        for name, index in body.get("inputs", []):
            fragment = fediverse_pasture_inputs.available[name].examples[index]
            note_id, ok = await send(body["to"], fragment)
            out.append({"input": name, "index": index, "id": note_id, "ok": ok})
        for index, fragment in enumerate(body.get("notes", [])):
            note_id, ok = await send(body["to"], fragment)
            out.append({"input": "notes", "index": index, "id": note_id, "ok": ok})
        return out

    return app


def main() -> None:
    fd, domain = int(sys.argv[1]), sys.argv[2]
    logging.basicConfig(level=logging.INFO)
    app = build_app(domain)
    config = uvicorn.Config(app, loop="asyncio", http="h11", log_level="info", lifespan="on")
    uvicorn.Server(config).run(sockets=[socket.socket(fileno=fd)])


if __name__ == "__main__":
    main()
