"""Accounts in the browser: log in and out, sign up (open, approval, invite), password resets;
a member's settings are in `settings_pages`."""

from __future__ import annotations

import math

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from fedishare.accounts import passwords, registration, sessions
from fedishare.core.errors import Invalid, RateLimited, Unauthenticated
from fedishare.http.errors import headers_of
from fedishare.http.requests import instance_of
from fedishare.storage.actors import LocalActor
from fedishare.web import settings_pages
from fedishare.web.form_fields import field_errors, text
from fedishare.web.pages import render, see_other
from fedishare.web.session import (
    check_csrf,
    clear_session_cookie,
    current_member,
    current_session,
    set_session_cookie,
)

WELCOME = "/settings?notice=welcome"


def local_path(value: str) -> str:
    """Where to go after logging in: a path on this site, never another site."""
    if value.startswith("/") and not value.startswith(("//", "/\\")) and value.isprintable():
        return value
    return "/board"


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


async def _signed_in(request: Request, member: LocalActor, to: str) -> Response:
    """Start a session for `member` in this browser (ending the one it had) and send it on
    to `to`."""
    inst = instance_of(request)
    previous = await current_session(request)
    if previous is not None:
        await sessions.end(inst, previous)
    cookie, _ = await sessions.start(inst, member, request.headers.get("user-agent", ""))
    response = see_other(to)
    set_session_cookie(request, response, cookie)
    return response


# --- logging in and out ---------------------------------------------------------------------


async def _login_form(
    request: Request,
    *,
    status: int = 200,
    username: str = "",
    error: str = "",
    retry_minutes: int = 0,
    next_url: str = "",
) -> Response:
    return await render(
        request,
        "login.html",
        status_code=status,
        username=username,
        error=error,
        retry_minutes=retry_minutes,
        next=next_url or local_path(request.query_params.get("next", "")),
        notice=request.query_params.get("notice", ""),
        registration=instance_of(request).config.registration,
    )


async def login_page(request: Request) -> Response:
    if await current_member(request) is not None:
        return see_other(local_path(request.query_params.get("next", "")))
    return await _login_form(request)


async def login(request: Request) -> Response:
    inst = instance_of(request)
    form = await request.form()
    await check_csrf(request, form)
    username, next_url = text(form, "username"), local_path(text(form, "next"))
    password = text(form, "password")
    try:
        member = await passwords.log_in(inst, username, password, _address(request))
    except RateLimited as e:
        response = await _login_form(
            request,
            status=429,
            username=username,
            retry_minutes=max(1, math.ceil(e.retry_after / 60)),
            next_url=next_url,
        )
        response.headers.update(headers_of(e))
        return response
    except Unauthenticated as e:
        reason = e.reason
        if await registration.waiting_for_approval(inst, username, password):
            reason = "your request to join has not been approved yet"
        return await _login_form(
            request, status=400, username=username, error=reason, next_url=next_url
        )
    return await _signed_in(request, member, next_url)


async def logout(request: Request) -> Response:
    form = await request.form()
    await check_csrf(request, form)
    session = await current_session(request)
    if session is not None:
        await sessions.end(instance_of(request), session)
    response = see_other("/")
    clear_session_cookie(request, response)
    return response


# --- signing up, invites, resets --------------------------------------------------------------


async def _signup_form(
    request: Request,
    template: str,
    *,
    action: str,
    policy: str,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    **context: object,
) -> Response:
    inst = instance_of(request)
    return await render(
        request,
        template,
        status_code=status,
        action=action,
        policy=policy,
        domain=inst.config.instance.domain,
        errors=errors or {},
        values=values or {},
        notice=request.query_params.get("notice", ""),
        **context,
    )


async def signup_page(request: Request) -> Response:
    if await current_member(request) is not None:
        return see_other("/board")
    policy = instance_of(request).config.registration
    return await _signup_form(request, "signup.html", action="/signup", policy=policy)


async def signup(request: Request) -> Response:
    inst = instance_of(request)
    form = await request.form()
    await check_csrf(request, form)
    values = {"username": text(form, "username"), "reason": text(form, "reason")}
    try:
        member = await registration.sign_up(
            inst, values["username"], text(form, "password"), values["reason"]
        )
    except Invalid as e:
        return await _signup_form(
            request,
            "signup.html",
            action="/signup",
            policy=inst.config.registration,
            status=400,
            errors=field_errors(e),
            values=values,
        )
    if member is None:
        return see_other("/signup?notice=requested")
    return await _signed_in(request, member, WELCOME)


async def invite_page(request: Request) -> Response:
    code = request.path_params["code"]
    invite = await registration.usable_invite(instance_of(request), code)
    return await _signup_form(
        request, "invite.html", action=f"/invite/{code}", policy="invite", role=invite.role
    )


async def accept_invite(request: Request) -> Response:
    inst = instance_of(request)
    code = request.path_params["code"]
    form = await request.form()
    await check_csrf(request, form)
    values = {"username": text(form, "username")}
    try:
        member = await registration.accept_invite(
            inst, code, values["username"], text(form, "password")
        )
    except Invalid as e:
        invite = await registration.usable_invite(inst, code)
        return await _signup_form(
            request,
            "invite.html",
            action=f"/invite/{code}",
            policy="invite",
            status=400,
            errors=field_errors(e),
            values=values,
            role=invite.role,
        )
    return await _signed_in(request, member, WELCOME)


async def _reset_form(
    request: Request, member: LocalActor, *, status: int = 200, errors: dict[str, str] | None = None
) -> Response:
    inst = instance_of(request)
    return await render(
        request,
        "reset.html",
        status_code=status,
        code=request.path_params["code"],
        handle=f"{member.username}@{inst.config.instance.domain}",
        errors=errors or {},
    )


async def reset_page(request: Request) -> Response:
    member = await registration.reset_member(instance_of(request), request.path_params["code"])
    return await _reset_form(request, member)


async def reset(request: Request) -> Response:
    inst = instance_of(request)
    code = request.path_params["code"]
    form = await request.form()
    await check_csrf(request, form)
    try:
        await registration.reset_password(inst, code, text(form, "password"))
    except Invalid as e:
        member = await registration.reset_member(inst, code)
        return await _reset_form(request, member, status=400, errors=field_errors(e))
    return see_other("/login?notice=reset")


routes: list[BaseRoute] = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/signup", signup_page, methods=["GET"]),
    Route("/signup", signup, methods=["POST"]),
    Route("/invite/{code}", invite_page, methods=["GET"]),
    Route("/invite/{code}", accept_invite, methods=["POST"]),
    Route("/reset/{code}", reset_page, methods=["GET"]),
    Route("/reset/{code}", reset, methods=["POST"]),
    *settings_pages.routes,  # a member's own account: wired with the rest of accounts
]
