"""The parameters of a client API call, wherever the app put them: the query string, a JSON
body, or a form (urlencoded or multipart, with files). Mastodon takes all of these, and apps
use all of them (Ice Cubes sends a query string where others send JSON).

A value of the wrong type is refused with Mastodon's 422, naming the parameter.

Names are flattened the way Rails reads forms: `media_ids[]` and a JSON list `media_ids` are
both `media_ids`; a JSON object `{"source": {"privacy": "public"}}` is `source[privacy]`; a
JSON list of objects `fields_attributes: [{"name": ...}]` is `fields_attributes[0][name]`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request

from fedishare.core.errors import TooLarge, Unprocessable
from fedishare.http.bodies import bounded_form, json_object, read_limited
from fedishare.http.requests import instance_of

MAX_FILES = 2  # an avatar and a header at once
MAX_FIELDS = 256
# Ids one call asks about (`id[]` of relationships, familiar_followers): Mastodon documents
# no cap; 40 is its longest page of accounts, and more than a screen of them is not needed.
MOST_IDS = 40
_TRUE = frozenset({"true", "1", "on", "yes", "t"})
_FALSE = frozenset({"false", "0", "off", "no", "f", ""})


@dataclass
class Params:
    values: dict[str, list[Any]] = field(default_factory=dict)
    files: dict[str, UploadFile] = field(default_factory=dict)

    def add(self, name: str, value: Any) -> None:
        self.values.setdefault(name.removesuffix("[]"), []).append(value)

    def has(self, name: str) -> bool:
        return name in self.values or name in self.files

    def text(self, name: str, default: str | None = None) -> str | None:
        found = self.values.get(name)
        if not found or found[-1] is None:
            return default
        value = found[-1]
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float | str):
            return str(value)
        raise Unprocessable(f"{name}: expected a text")

    def texts(self, name: str) -> list[str]:
        """An array parameter (`name[]=a&name[]=b`, or a JSON list); empty when absent."""
        return [str(v) for v in self.values.get(name, []) if v is not None and v != ""]

    def ids(self, name: str, most: int = MOST_IDS) -> list[str]:
        """An array of ids: the first `most` distinct ones, the rest not answered for."""
        return list(dict.fromkeys(self.texts(name)))[:most]

    def flag(self, name: str, default: bool = False) -> bool:
        found = self.values.get(name)
        if not found or found[-1] is None:
            return default
        value = found[-1]
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise Unprocessable(f"{name}: expected true or false")

    def integer(
        self,
        name: str,
        default: int | None = None,
        *,
        lowest: int | None = None,
        highest: int | None = None,
    ) -> int | None:
        """An integer; out of [lowest, highest] it is clamped, as Mastodon clamps `limit`."""
        text = self.text(name)
        if text is None or text == "":
            return default
        try:
            value = int(text)
        except ValueError:
            raise Unprocessable(f"{name}: expected a whole number") from None
        if lowest is not None:
            value = max(lowest, value)
        if highest is not None:
            value = min(highest, value)
        return value

    def file(self, name: str) -> UploadFile | None:
        return self.files.get(name)


def _flatten(params: Params, prefix: str, value: Any) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(params, f"{prefix}[{key}]" if prefix else str(key), inner)
    elif isinstance(value, list):
        if any(isinstance(v, dict) for v in value):
            for index, inner in enumerate(value):
                _flatten(params, f"{prefix}[{index}]", inner)
        else:
            params.values.setdefault(prefix, []).extend(value)
    else:
        params.add(prefix, value)


def _content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


@asynccontextmanager
async def read_params(request: Request) -> AsyncIterator[Params]:
    """The call's parameters; uploaded files are closed when the block ends. The query string
    comes first and the body's values after it, so the body wins for single values."""
    inst = instance_of(request)
    params = Params()
    for name, value in request.query_params.multi_items():
        params.add(name, value)
    kind = _content_type(request)
    if request.method in ("GET", "HEAD", "DELETE") and kind == "":
        yield params
        return
    if kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
        limit = MAX_FILES * inst.config.limits.max_upload_bytes + inst.config.limits.max_body_bytes
        refusal = TooLarge(f"the body is larger than {limit} bytes")
        async with bounded_form(
            request, limit, refusal, max_files=MAX_FILES, max_fields=MAX_FIELDS
        ) as form:
            for name, item in form.multi_items():
                if isinstance(item, UploadFile):
                    params.files[name] = item
                else:
                    params.add(name, item)
            yield params
        return
    body = await read_limited(request, inst.config.limits.max_body_bytes)
    if body.strip():
        _flatten(params, "", json_object(body))
    yield params
