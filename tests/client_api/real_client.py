"""Support for driving real `fedishare serve` processes as a Mastodon app and as a browser.

- `ValidatedSession`: a `requests.Session` for Mastodon.py that checks every answer it gets
  against Mastodon's schema (tests/client_api/schema.py), so a test written with a real client
  still validates each response; the problems are collected and asserted at the end, since
  Mastodon.py would swallow an exception raised inside its request.
- `set_neighbourhood`: a member signs in on the web board and saves their neighbourhood in
  Settings, as they must before their `#offer` posts become listings;
- `authorize_with_pkce`: what a browser does between an app's "Sign in" button and its
  redirect: `/oauth/authorize`, the web board's log-in form, the consent form; returns the
  code from the redirect, for the app to exchange with its `code_verifier`.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
import requests

from tests.client_api.schema import check, document

# --------------------------------------------------------------------------- schema checks


@cache
def _templates() -> list[tuple[str, re.Pattern[str], frozenset[str]]]:
    """Schema path templates, the literal ones first (`/accounts/lookup` before `/{id}`)."""
    paths: dict[str, Any] = document()["paths"]
    ordered = sorted(paths, key=lambda t: (t.count("{"), -len(t)))
    return [(t, _pattern(t), frozenset(paths[t])) for t in ordered]


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


def template_of(method: str, path: str) -> str | None:
    """The schema's template for a request path, or None for paths outside Mastodon's API."""
    verb = method.lower()
    for template, pattern, verbs in _templates():
        if verb in verbs and pattern.fullmatch(path):
            return template
    return None


def as_httpx(response: requests.Response) -> httpx.Response:
    request = response.request
    return httpx.Response(
        response.status_code,
        headers=dict(response.headers),
        content=response.content,
        request=httpx.Request(str(request.method), str(request.url)),
    )


@dataclass
class ValidatedSession:
    """Hands Mastodon.py a session whose every response is checked against the schema."""

    session: requests.Session = field(default_factory=requests.Session)
    problems: list[str] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.session.hooks["response"].append(self._check)

    def _check(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        method = str(response.request.method)
        path = urlsplit(str(response.request.url)).path
        template = template_of(method, path)
        self.seen.append(f"{method} {path} {response.status_code}")
        print(self.seen[-1])  # shown by pytest when the test fails: the calls so far
        if template is None:
            return
        try:
            check(as_httpx(response), method, template)
        except AssertionError as problem:
            self.problems.append(str(problem))

    def assert_valid(self) -> None:
        assert not self.problems, "\n\n".join(self.problems)


# --------------------------------------------------------------------------- PKCE


@dataclass(frozen=True)
class Pkce:
    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(verifier.encode()).digest()
        return cls(verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode())


# --------------------------------------------------------------------------- forms in pages


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)  # hidden and text inputs, as filled
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (name, value) of submits
    inputs: list[str] = field(default_factory=list)  # names of visible text/password inputs


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
            return
        if not self.forms:
            return
        form = self.forms[-1]
        kind = a.get("type", "submit" if tag == "button" else "text").lower()
        name = a.get("name", "")
        if tag in ("input", "button") and kind == "submit":
            form.buttons.append((name, a.get("value", "")))
        elif tag == "input" and name:
            if kind == "hidden":
                form.fields[name] = a.get("value", "")
            elif kind in ("checkbox", "radio"):
                if "checked" in a:
                    form.fields[name] = a.get("value", "on")
            elif kind != "file":
                form.fields[name] = a.get("value", "")
                form.inputs.append(name)


def forms_of(html: str) -> list[Form]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


_REFUSE = re.compile(r"deny|refuse|reject|cancel|decline", re.I)


def _approve(form: Form) -> dict[str, str]:
    """The consent form's fields, pressing the button that allows (not the one that refuses)."""
    data = dict(form.fields)
    for name, value in form.buttons:
        if name and not _REFUSE.search(f"{name} {value}"):
            data[name] = value
            break
    return data


@dataclass(frozen=True)
class Authorized:
    code: str
    state: str
    redirect: str


async def authorize_with_pkce(
    base: str,
    *,
    client_id: str,
    redirect_uri: str,
    scopes: str,
    username: str,
    password: str,
    pkce: Pkce,
) -> Authorized:
    """A browser going through `/oauth/authorize`: signs in on the log-in form it is sent to,
    approves on the consent page, and stops at the redirect back to the app."""
    state = secrets.token_urlsafe(12)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": scopes,
            "state": state,
            "code_challenge": pkce.challenge,
            "code_challenge_method": "S256",
        }
    )
    url = f"{base}/oauth/authorize?{query}"
    headers = {"Accept": "text/html,application/xhtml+xml"}
    async with httpx.AsyncClient(headers=headers, timeout=15, trust_env=False) as browser:
        signed_in = False
        for _ in range(10):  # each step is a page or a redirect; a loop means a bug
            response = await browser.get(url)
            if response.is_redirect:
                url = urljoin(url, response.headers["location"])
                if url.startswith(redirect_uri):
                    break
                continue
            assert response.status_code == 200, (url, response.status_code, response.text[:500])
            forms = [f for f in forms_of(response.text) if f.method == "post"]
            login = next((f for f in forms if "password" in f.inputs), None)
            if login is not None:
                assert not signed_in, f"the log-in form came back: {response.text[:800]}"
                data = {**login.fields, "username": username, "password": password}
                signed_in = True
            else:
                consent = [f for f in forms if "client_id" in f.fields and "switch" not in f.action]
                assert consent, f"no consent form on {url}: {response.text[:800]}"
                login = consent[0]
                data = _approve(login)
            target = urljoin(str(response.url), login.action or str(response.url))
            posted = await browser.post(target, data=data)
            assert posted.is_redirect, (target, posted.status_code, posted.text[:800])
            url = urljoin(target, posted.headers["location"])
            if url.startswith(redirect_uri):
                break
        else:
            raise AssertionError(f"no redirect to {redirect_uri}; last at {url}")
    params = parse_qs(urlsplit(url).query)
    assert "code" in params, url
    assert params.get("state") == [state], f"the app's state is not passed back: {url}"
    return Authorized(params["code"][0], params.get("state", [""])[0], url)


async def sign_in(browser: httpx.AsyncClient, base: str, username: str, password: str) -> None:
    """The web board's log-in form, filled in and sent, as a person does."""
    page = await browser.get(f"{base}/login")
    assert page.status_code == 200, page.text[:500]
    form = next(f for f in forms_of(page.text) if "password" in f.inputs)
    data = {**form.fields, "username": username, "password": password}
    posted = await browser.post(urljoin(str(page.url), form.action), data=data)
    assert posted.is_redirect, (posted.status_code, posted.text[:800])


async def set_neighbourhood(
    base: str, username: str, password: str, place: str, latitude: float, longitude: float
) -> None:
    """Signs in on the web board and saves the neighbourhood in Settings' profile form."""
    headers = {"Accept": "text/html,application/xhtml+xml"}
    async with httpx.AsyncClient(headers=headers, timeout=15, trust_env=False) as browser:
        await sign_in(browser, base, username, password)
        page = await browser.get(f"{base}/settings")
        assert page.status_code == 200, page.text[:500]
        form = next(f for f in forms_of(page.text) if "place_name" in f.inputs)
        data = {
            **form.fields,
            "place_name": place,
            "latitude": f"{latitude}",
            "longitude": f"{longitude}",
        }
        saved = await browser.post(urljoin(str(page.url), form.action), data=data)
        assert saved.is_redirect, (saved.status_code, saved.text[:800])
