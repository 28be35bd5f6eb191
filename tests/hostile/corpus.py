"""The hostile-request corpus: cases kept as data (`*.jsonl` here, one JSON object a line) and
turned into HTTP requests against a running instance.

A case:

    name      unique, says what is wrong
    method    default POST;  path  default /inbox (placeholders allowed)
    body      one of  {"json": VALUE}  {"text": STR}  {"b64": STR}
              {"parts": [[STR, TIMES], ...]} (concatenated: deep nesting, huge strings)
              placeholders in strings: {peer} {eve} {mallory} {elsewhere} {us} {n}
    sign      null: unsigned; else how (all optional):
              as         whose key signs (default eve); key_id  the keyId sent (a template)
              wrong_key  signed with a key nobody published
              date       seconds added to the Date header (stale or future)
              covered    the headers signed; algorithm  (null: none sent)
              digest     "SHA-256" (default), another name, "mismatch" or "none"
              target     the path signed, when not the one posted to
    headers   sent, and signed when covered (e.g. Content-Type)
    after     headers set after signing (null: removed); `signature_edit` [OLD, NEW]
              replaces text in the Signature header
    send      "chunked": the body streamed without a Content-Length;
              "declared": streamed, with its Content-Length header
    setup     accepted (202) and run before the database is first dumped
    status    the status expected; reason  a substring of its `error`

Every refusal must leave the database as it was; a case answered 202 in the main run
(`replay`) must change nothing either, since what it replays was stored during setup.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import aiohttp
import yarl
from cryptography.hazmat.primitives.asymmetric import rsa

from fedishare.federation.dates import http_date
from tests.federation.mastodon import sign
from tests.mastodon_peer import MASTODON_COVERED, MastodonPeer, rsa_key

HERE = Path(__file__).parent
_sends = itertools.count(1)


def load_cases() -> list[dict[str, Any]]:
    cases = [
        json.loads(line)
        for path in sorted(HERE.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    names = [c["name"] for c in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    return cases


@dataclass(frozen=True)
class Target:
    """Where the corpus is sent, and who signs it."""

    base: str  # the instance, http://127.0.0.1:PORT
    peer: MastodonPeer  # serves eve's and mallory's actors and keys
    elsewhere: MastodonPeer  # another host, which must never be asked for anything

    def fill(self, text: str, n: int) -> str:
        return (
            text.replace("{eve}", self.peer.actor_id("eve"))
            .replace("{mallory}", self.peer.actor_id("mallory"))
            .replace("{peer}", self.peer.base)
            .replace("{elsewhere}", self.elsewhere.base)
            .replace("{us}", self.base)
            .replace("{n}", str(n))
        )


def _body(case: dict[str, Any], target: Target, n: int) -> bytes:
    body = case.get("body") or {"text": ""}
    if "json" in body:
        return target.fill(json.dumps(body["json"]), n).encode("utf-8")
    if "text" in body:
        return target.fill(body["text"], n).encode("utf-8")
    if "b64" in body:
        return base64.b64decode(body["b64"])
    return b"".join(target.fill(part, n).encode("utf-8") * times for part, times in body["parts"])


Request = tuple[str, str, dict[str, str], bytes]  # method, URL, headers, body

_WRONG_KEY = 7  # a key of rsa_key's pool that no actor publishes


def build(case: dict[str, Any], target: Target, now: datetime) -> Request:
    """(method, url, headers, body) of one case, signed as it says, at `now`."""
    n = next(_sends)
    method = case.get("method", "POST")
    path = target.fill(case.get("path", "/inbox"), n)
    body = _body(case, target, n)
    headers = {"Content-Type": "application/activity+json"} if method == "POST" else {}
    headers.update({k: target.fill(v, n) for k, v in case.get("headers", {}).items()})
    recipe = case.get("sign")
    if recipe is not None:
        headers = _signed(recipe, target, method, path, body, headers, now, n)
    for name, value in case.get("after", {}).items():
        if name == "signature_edit":
            old, new = value
            headers["Signature"] = headers["Signature"].replace(old, target.fill(new, n))
        elif value is None:
            headers.pop(name, None)
        else:
            headers[name] = target.fill(value, n)
    return method, target.base + path, headers, body


def _signed(
    recipe: dict[str, Any],
    target: Target,
    method: str,
    path: str,
    body: bytes,
    extra: dict[str, str],
    now: datetime,
    n: int,
) -> dict[str, str]:
    signer = recipe.get("as", "eve")
    key: rsa.RSAPrivateKey = (
        rsa_key(_WRONG_KEY) if recipe.get("wrong_key") else target.peer.keys[signer]
    )
    key_id = target.fill(recipe["key_id"], n) if "key_id" in recipe else target.peer.key_id(signer)
    headers = {
        "Host": target.base.split("://", 1)[1],
        "Date": http_date(now + timedelta(seconds=recipe.get("date", 0))),
    }
    digest = recipe.get("digest", "SHA-256")
    if digest != "none":
        signed_body = body + b" " if digest == "mismatch" else body
        value = base64.b64encode(hashlib.sha256(signed_body).digest()).decode("ascii")
        headers["Digest"] = f"{'SHA-256' if digest == 'mismatch' else digest}={value}"
    headers.update(extra)
    covered = recipe.get("covered", list(MASTODON_COVERED))
    present = {name.lower() for name in headers}
    signable = dict(headers)
    for name in covered:  # a covered header that is not sent is signed as empty
        if not name.startswith("(") and name not in present:
            signable[name] = ""
    signed = sign(
        key,
        key_id,
        method,
        recipe.get("target", path),
        signable,
        covered,
        algorithm=recipe.get("algorithm", "rsa-sha256"),
    )
    return {k: v for k, v in signed.items() if k.lower() in present or k == "Signature"}


async def _stream(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), 16_384):
        yield body[start : start + 16_384]


class Answer(NamedTuple):
    status: int
    text: str


async def send(
    session: aiohttp.ClientSession,
    case: dict[str, Any],
    target: Target,
    now: datetime,
    built: Request | None = None,
) -> Answer:
    """Send `case` as built now, or as `built` before (the same signed request, sent again).

    aiohttp rather than httpx: its client costs a fraction of httpx's per request, and the
    corpus is sent thousands of times."""
    method, url, headers, body = built or build(case, target, now)
    headers = dict(headers)
    mode = case.get("send")
    if mode == "declared":
        headers["Content-Length"] = str(len(body))
    data: bytes | AsyncIterator[bytes] = body if mode is None else _stream(body)
    async with session.request(
        method,
        yarl.URL(url, encoded=True),
        headers=headers,
        data=data,
        skip_auto_headers=("Content-Type",),
    ) as response:
        return Answer(response.status, await response.text(errors="replace"))


def mismatch(case: dict[str, Any], answer: Answer) -> str | None:
    """What is wrong with the answer to `case`, or None if it is the one documented."""
    expected = case["status"]
    if answer.status != expected:
        return f"{case['name']}: {answer.status} {answer.text[:200]!r}, not {expected}"
    reason = case.get("reason")
    if reason:
        try:
            error = json.loads(answer.text)["error"]
        except (ValueError, KeyError, TypeError):
            return f"{case['name']}: no JSON error in {answer.text[:200]!r}"
        if reason not in error:
            return f"{case['name']}: {error!r} does not say {reason!r}"
    return None
