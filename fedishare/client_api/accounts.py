"""Accounts as Mastodon apps use them: the member's own (verify and update credentials,
preferences), any account (lookup, show, its statuses, followers and following), and what
the member does to others (follow, block, mute) answered with the Relationship."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fedishare.accounts import credentials, relations
from fedishare.accounts.credentials import CredentialChanges
from fedishare.accounts.profiles import AvatarFile
from fedishare.client_api.auth import optional_member, require_member
from fedishare.client_api.entities.account import (
    account_uri,
    account_uris,
    render_account,
    render_accounts,
)
from fedishare.client_api.entities.relationship import render_relationships
from fedishare.client_api.entities.status import render_statuses
from fedishare.client_api.pagination import link_header, page_of
from fedishare.client_api.params import Params, read_params
from fedishare.context import Instance
from fedishare.core.errors import Forbidden, Invalid, NotFound, TooLarge, Unprocessable
from fedishare.core.types import JSON
from fedishare.federation.actor_document import actor_id
from fedishare.federation.errors import FetchError
from fedishare.follows.following import follow_actor, unfollow_actor
from fedishare.http.requests import instance_of
from fedishare.media.processing import Unreadable, process_photo
from fedishare.media.uploads import size_text
from fedishare.statuses import search, timelines
from fedishare.statuses.visibility import visible_rows
from fedishare.storage import account_relations, follow_pages
from fedishare.storage.actors import LocalActor

_FIELD = re.compile(r"^fields_attributes\[(\d*)\]\[(name|value)\]$")


async def _own(request: Request) -> LocalActor:
    """The member, for reading their own account: `profile` or `read:accounts` will do."""
    try:
        return await require_member(request, "read:accounts")
    except Forbidden:
        return await require_member(request, "profile")


async def _target(request: Request) -> str:
    """The URI of the account named by the path's id; 404 as Mastodon answers."""
    uri = await account_uri(instance_of(request), request.path_params["id"])
    if uri is None:
        raise NotFound("Record not found")
    return uri


async def verify_credentials(request: Request) -> Response:
    inst, member = instance_of(request), await _own(request)
    return JSONResponse(await render_account(inst, actor_id(inst.urls, member), source=True))


def _fields(params: Params) -> list[tuple[str, str]] | None:
    """`fields_attributes[0][name]`... as (name, value) pairs in order; None if absent."""
    slots: dict[int, dict[str, str]] = {}
    unnumbered: dict[str, list[str]] = {}
    for key, values in params.values.items():
        match = _FIELD.match(key)
        if match is None:
            continue
        index, part = match.groups()
        if index:
            slots.setdefault(int(index), {})[part] = str(values[-1] or "")
        else:
            unnumbered[part] = [str(v or "") for v in values]
    for i, name in enumerate(unnumbered.get("name", [])):
        values = unnumbered.get("value", [])
        slots[10_000 + i] = {"name": name, "value": values[i] if i < len(values) else ""}
    if not slots:
        return None
    return [(s.get("name", ""), s.get("value", "")) for _, s in sorted(slots.items())]


async def _picture(params: Params, name: str) -> AvatarFile | None:
    upload = params.file(name)
    if upload is None:
        return None
    return AvatarFile(await upload.read(), upload.filename or name)


async def _check_picture(inst: Instance, picture: AvatarFile | None, field: str) -> None:
    """Refuse a picture that is too large or no photo before anything is stored: an
    update is all or nothing, and the avatar is stored last. (A good one is decoded again
    when stored: tens of milliseconds, for a rare call.)"""
    if picture is None:
        return
    limit = inst.config.limits.max_upload_bytes
    if len(picture.data) > limit:
        raise TooLarge(f"{field}: {picture.name} is larger than {size_text(limit)}")
    try:
        await asyncio.to_thread(process_photo, picture.data)
    except Unreadable as e:
        raise Unprocessable(f"{field}: {picture.name} {e}") from None


def _flag(params: Params, name: str) -> bool | None:
    return params.flag(name) if params.has(name) else None


async def update_credentials(request: Request) -> Response:
    inst = instance_of(request)
    member = await require_member(request, "write:accounts")
    async with read_params(request) as p:
        changes = CredentialChanges(
            display_name=p.text("display_name"),
            note=p.text("note"),
            avatar=await _picture(p, "avatar"),
            header=await _picture(p, "header"),
            locked=_flag(p, "locked"),
            bot=_flag(p, "bot"),
            discoverable=_flag(p, "discoverable"),
            fields=_fields(p),
            privacy=p.text("source[privacy]"),
            sensitive=_flag(p, "source[sensitive]"),
            language=p.text("source[language]"),
        )
        await _check_picture(inst, changes.avatar, "avatar")
        await _check_picture(inst, changes.header, "header")
        try:
            updated = await credentials.update_credentials(inst, member, changes)
        except Invalid as e:  # as Mastodon answers a validation failure
            raise Unprocessable(e.reason) from None
    return JSONResponse(await render_account(inst, actor_id(inst.urls, updated), source=True))


async def remove_picture(request: Request) -> Response:
    """DELETE /api/v1/profile/avatar or /header: back to the default picture."""
    inst = instance_of(request)
    member = await require_member(request, "write:accounts")
    which = request.url.path.rsplit("/", 1)[1]
    updated = await credentials.remove_picture(inst, member, which)
    return JSONResponse(await render_account(inst, actor_id(inst.urls, updated), source=True))


async def preferences(request: Request) -> Response:
    """Mastodon asks for `read:accounts` here (`profile` is for verify_credentials only)."""
    member = await require_member(request, "read:accounts")
    return JSONResponse(credentials.preferences(member))


async def lookup(request: Request) -> Response:
    inst = instance_of(request)
    async with read_params(request) as p:
        acct = p.text("acct") or ""
    uri = await search.lookup(inst, acct)
    if uri is None:
        raise NotFound("Record not found")
    return JSONResponse(await render_account(inst, uri))


async def account_search(request: Request) -> Response:
    inst = instance_of(request)
    await require_member(request, "read:accounts")
    async with read_params(request) as p:
        text = p.text("q") or ""
        limit = p.integer("limit", 40, lowest=1, highest=80) or 40
        offset = p.integer("offset", 0, lowest=0) or 0
        resolve = p.flag("resolve")
    uris = await search.accounts(inst, text, resolve_remote=resolve, limit=limit, offset=offset)
    return JSONResponse(await _accounts(inst, uris))


async def _accounts(inst: Instance, uris: list[str]) -> list[JSON]:
    rendered = await render_accounts(inst, uris)
    return [rendered[u] for u in uris if u in rendered]


async def show(request: Request) -> Response:
    inst = instance_of(request)
    await optional_member(request, "read:accounts")
    return JSONResponse(await render_account(inst, await _target(request)))


async def statuses(request: Request) -> Response:
    inst = instance_of(request)
    viewer = await optional_member(request, "read:statuses")
    uri = await _target(request)
    async with read_params(request) as p:
        page = page_of(p)
        rows = await timelines.of_account(
            inst,
            viewer,
            uri,
            page,
            exclude_replies=p.flag("exclude_replies"),
            only_media=p.flag("only_media"),
            pinned=p.flag("pinned"),
        )
    shown = await visible_rows(inst, viewer, rows)
    rendered = await render_statuses(inst, viewer, shown)
    return JSONResponse(rendered, headers=link_header(request, [r.id for r in rows]))


async def _follow_list(request: Request, *, followers: bool) -> Response:
    inst = instance_of(request)
    await optional_member(request, "read:accounts")
    uri = await _target(request)
    async with read_params(request) as p:
        page = page_of(p, default=40, most=80)
    if followers:
        found = await follow_pages.followers_page(inst.db, uri, page)
    else:
        found = await follow_pages.following_page(inst.db, uri, page)
    body = await _accounts(inst, [other for _, other in found])
    return JSONResponse(body, headers=link_header(request, [i for i, _ in found]))


async def followers(request: Request) -> Response:
    return await _follow_list(request, followers=True)


async def following(request: Request) -> Response:
    return await _follow_list(request, followers=False)


async def _relationship(inst: Instance, member: LocalActor, uri: str) -> Response:
    return JSONResponse((await render_relationships(inst, member, [uri]))[0])


_Action = Callable[[Instance, LocalActor, str], Awaitable[object]]


async def _act(request: Request, scope: str, action: _Action) -> Response:
    """Do `action` to the account of the path, then answer the relationship as it now is."""
    inst = instance_of(request)
    member = await require_member(request, scope)
    uri = await _target(request)
    await action(inst, member, uri)
    return await _relationship(inst, member, uri)


async def follow(request: Request) -> Response:
    async def act(inst: Instance, member: LocalActor, uri: str) -> None:
        async with read_params(request) as p:
            p.flag("reblogs", True)  # checked, then left: every follow shows boosts
            p.flag("notify")  # and posts are not notified
        try:
            await follow_actor(inst, member, uri)
        except FetchError as e:
            raise Unprocessable(f"the account cannot be reached: {e.reason}") from None

    return await _act(request, "write:follows", act)


async def unfollow(request: Request) -> Response:
    return await _act(request, "write:follows", unfollow_actor)


async def block(request: Request) -> Response:
    return await _act(request, "write:blocks", relations.block)


async def unblock(request: Request) -> Response:
    return await _act(request, "write:blocks", relations.unblock)


async def mute(request: Request) -> Response:
    async def act(inst: Instance, member: LocalActor, uri: str) -> None:
        async with read_params(request) as p:
            notifications = p.flag("notifications", True)
            duration = p.integer("duration", 0) or 0
        await relations.mute(inst, member, uri, notifications=notifications, duration=duration)

    return await _act(request, "write:mutes", act)


async def unmute(request: Request) -> Response:
    return await _act(request, "write:mutes", relations.unmute)


async def relationships(request: Request) -> Response:
    inst = instance_of(request)
    member = await require_member(request, "read:follows")
    async with read_params(request) as p:
        ids = p.ids("id")
    uris = await account_uris(inst, ids)
    return JSONResponse(await render_relationships(inst, member, uris))


async def blocks(request: Request) -> Response:
    inst = instance_of(request)
    member = await require_member(request, "read:blocks")
    async with read_params(request) as p:
        page = page_of(p, default=40, most=80)
    found = await account_relations.blocks_page(inst.db, member.id, page)
    body = await _accounts(inst, [b.target for b in found])
    return JSONResponse(body, headers=link_header(request, [b.id for b in found]))


async def mutes(request: Request) -> Response:
    inst = instance_of(request)
    member = await require_member(request, "read:mutes")
    async with read_params(request) as p:
        page = page_of(p, default=40, most=80)
    now = inst.clock().timestamp()
    found = await account_relations.mutes_page(inst.db, member.id, page, now)
    body = await _accounts(inst, [m.target for m in found])
    return JSONResponse(body, headers=link_header(request, [m.id for m in found]))


_A = "/api/v1/accounts"
routes = [
    Route(f"{_A}/verify_credentials", verify_credentials),
    Route(f"{_A}/update_credentials", update_credentials, methods=["PATCH"]),
    Route(f"{_A}/lookup", lookup),
    Route(f"{_A}/relationships", relationships),
    Route(f"{_A}/search", account_search),
    Route(f"{_A}/{{id}}", show),
    Route(f"{_A}/{{id}}/statuses", statuses),
    Route(f"{_A}/{{id}}/followers", followers),
    Route(f"{_A}/{{id}}/following", following),
    Route(f"{_A}/{{id}}/follow", follow, methods=["POST"]),
    Route(f"{_A}/{{id}}/unfollow", unfollow, methods=["POST"]),
    Route(f"{_A}/{{id}}/block", block, methods=["POST"]),
    Route(f"{_A}/{{id}}/unblock", unblock, methods=["POST"]),
    Route(f"{_A}/{{id}}/mute", mute, methods=["POST"]),
    Route(f"{_A}/{{id}}/unmute", unmute, methods=["POST"]),
    Route("/api/v1/blocks", blocks),
    Route("/api/v1/mutes", mutes),
    Route("/api/v1/preferences", preferences),
    Route("/api/v1/profile/avatar", remove_picture, methods=["DELETE"]),
    Route("/api/v1/profile/header", remove_picture, methods=["DELETE"]),
]
