"""A member's settings: profile (display name, bio, avatar, default neighbourhood), password,
the browsers they are logged in on, the apps that hold a token for them, and deleting their
account; and the avatar at the URL
their actor document gives."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from fedishare.accounts import passwords, profiles, sessions
from fedishare.context import Instance
from fedishare.core.errors import Invalid, NotFound, TooLarge
from fedishare.http.bodies import bounded_form
from fedishare.http.requests import instance_of
from fedishare.listings.leaving import leave
from fedishare.media import files, uploads
from fedishare.media.processing import MEDIA_TYPE
from fedishare.oauth import tokens as oauth_tokens
from fedishare.storage.actors import LocalActor
from fedishare.web.form_fields import field_errors, text
from fedishare.web.pages import render, see_other
from fedishare.web.session import (
    check_csrf,
    clear_session_cookie,
    current_session,
    require_member,
)
from fedishare.web.times import when

PROFILE_TEXT_BYTES = 65_536  # room for the profile form's text beside the avatar


def _profile_values(member: LocalActor) -> dict[str, str]:
    place = profiles.default_place(member)
    return {
        "display_name": member.display_name,
        "bio": member.summary,
        "place_name": "" if place is None else place.name,
        "latitude": "" if place is None or place.latitude is None else f"{place.latitude:g}",
        "longitude": "" if place is None or place.longitude is None else f"{place.longitude:g}",
    }


async def _settings(
    request: Request,
    member: LocalActor,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    inst = instance_of(request)
    current = await current_session(request)
    browsers = [
        {
            "id": s.id_hash,
            "user_agent": s.user_agent,
            "created": when(s.created_at),
            "last_seen": when(s.last_seen_at),
            "current": current is not None and s.id_hash == current.id_hash,
        }
        for s in await sessions.of_member(inst, member)
    ]
    app_tokens = [
        {
            "id": t.id,
            "app": t.app_name,
            "scopes": t.scopes,
            "created": when(t.created_at),
            "last_used": None if t.last_used_at is None else when(t.last_used_at),
        }
        for t in await oauth_tokens.of_member(inst, member.id)
    ]
    return await render(
        request,
        "settings.html",
        status_code=status,
        handle=f"{member.username}@{inst.config.instance.domain}",
        errors=errors or {},
        values={**_profile_values(member), **(values or {})},
        sessions=browsers,
        tokens=app_tokens,
        avatar=None
        if member.avatar_media_id is None
        else f"/users/{member.username}/avatar/{member.avatar_media_id}",
        max_upload=uploads.size_text(inst.config.limits.max_upload_bytes),
        notice=request.query_params.get("notice", ""),
    )


async def settings_page(request: Request) -> Response:
    return await _settings(request, await require_member(request))


@asynccontextmanager
async def _profile_form(request: Request, inst: Instance) -> AsyncIterator[FormData]:
    """The posted profile form, its avatar file included; TooLarge as soon as the body is
    larger than a photo and the text can be."""
    limit = inst.config.limits.max_upload_bytes + PROFILE_TEXT_BYTES
    refusal = TooLarge(f"avatar: larger than {uploads.size_text(limit)}")
    async with bounded_form(request, limit, refusal, max_files=1, max_fields=16) as form:
        yield form


async def _avatar(form: FormData) -> profiles.AvatarFile | None:
    upload = form.get("avatar")
    if not isinstance(upload, UploadFile) or not upload.filename or not upload.size:
        return None
    return profiles.AvatarFile(await upload.read(), upload.filename[:80])


async def save_profile(request: Request) -> Response:
    member = await require_member(request)
    inst = instance_of(request)
    try:
        async with _profile_form(request, inst) as form:
            await check_csrf(request, form)
            values = {name: text(form, name) for name in _profile_values(member)}
            try:
                profile = profiles.parse_profile(**values)
                await profiles.update_profile(
                    inst,
                    member,
                    profile,
                    avatar=await _avatar(form),
                    drop_avatar=text(form, "drop_avatar") == "yes",
                )
            except Invalid as e:
                return await _settings(
                    request, member, status=400, errors=field_errors(e), values=values
                )
    except TooLarge as e:
        return await _settings(request, member, status=413, errors=field_errors(e))
    return see_other("/settings?notice=profile")


async def avatar(request: Request) -> Response:
    """A member's avatar, at the URL their actor document gives."""
    inst = instance_of(request)
    name = await profiles.avatar_file(
        inst, request.path_params["username"], request.path_params["media_id"]
    )
    path = None if name is None else files.location(inst.config.instance.media, name)
    if path is None or not await asyncio.to_thread(path.is_file):
        raise NotFound("no such avatar")
    # A new avatar gets a new URL: what is served at this one never changes.
    return FileResponse(
        path, media_type=MEDIA_TYPE, headers={"Cache-Control": "public, max-age=604800"}
    )


async def change_password(request: Request) -> Response:
    member = await require_member(request)
    session = await current_session(request)
    assert session is not None
    form = await request.form()
    await check_csrf(request, form)
    try:
        await passwords.change_password(
            instance_of(request),
            member,
            text(form, "current_password"),
            text(form, "new_password"),
            keep_session=session.id_hash,
        )
    except Invalid as e:
        return await _settings(request, member, status=400, errors=field_errors(e))
    return see_other("/settings?notice=password")


async def revoke_session(request: Request) -> Response:
    member = await require_member(request)
    form = await request.form()
    await check_csrf(request, form)
    await sessions.revoke(instance_of(request), member, text(form, "session"))
    return see_other("/settings?notice=session#sessions")


async def revoke_token(request: Request) -> Response:
    """Take an app's access back: its token stops working at once."""
    member = await require_member(request)
    form = await request.form()
    await check_csrf(request, form)
    token_id = text(form, "token")
    if not token_id.isdigit() or not await oauth_tokens.revoke(
        instance_of(request), member.id, int(token_id)
    ):
        raise NotFound("no such app access")
    return see_other("/settings?notice=app#apps")


async def delete_account(request: Request) -> Response:
    member = await require_member(request)
    form = await request.form()
    await check_csrf(request, form)
    try:
        await leave(instance_of(request), member, text(form, "password"))
    except Invalid as e:
        return await _settings(request, member, status=400, errors=field_errors(e))
    response = see_other("/login?notice=deleted")
    clear_session_cookie(request, response)
    return response


routes: list[BaseRoute] = [
    Route("/settings", settings_page, methods=["GET"]),
    Route("/settings/profile", save_profile, methods=["POST"]),
    Route("/settings/password", change_password, methods=["POST"]),
    Route("/settings/sessions/revoke", revoke_session, methods=["POST"]),
    Route("/settings/apps/revoke", revoke_token, methods=["POST"]),
    Route("/settings/delete", delete_account, methods=["POST"]),
    Route("/users/{username}/avatar/{media_id:int}", avatar, methods=["GET"]),
]
