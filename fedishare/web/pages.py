"""Rendering a page: the template with what every page shows (the community, who is signed
in, the form token), and the anonymous form cookie when the page made one."""

from __future__ import annotations

from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from fedishare.context import Instance
from fedishare.web.session import csrf_token, current_member, remember_form_token


async def render(
    request: Request, template: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    inst: Instance = request.state.instance
    env: jinja2.Environment = request.state.templates
    member = await current_member(request)
    page = env.get_template(template).render(
        community_name=inst.config.community.name,
        community_handle=f"{inst.config.community.handle}@{inst.config.instance.domain}",
        member=member,
        csrf_token=await csrf_token(request),
        path=request.url.path,
        **context,
    )
    response = HTMLResponse(page, status_code=status_code)
    remember_form_token(request, response)
    return response


def see_other(url: str) -> RedirectResponse:
    """Where a form post sends the browser next (303: fetched with GET)."""
    return RedirectResponse(url, status_code=303)
