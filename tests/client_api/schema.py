"""Validate client-API responses against Mastodon's own API description.

The apps fedishare wants to serve (Tusky, Ivory, Elk, Phanpy, Ice Cubes, Mastodon.py) are written
against Mastodon; an answer that validates against the community OpenAPI description of
Mastodon's API (``tests/fixtures/mastodon-openapi/schema.json``) is one they can parse. Every
client-API test passes its responses through :func:`check`, so a field the apps need cannot go
missing, turn ``null`` or change type without a test saying which field and what was expected.

The schema is OpenAPI 3.1, whose schemas are JSON Schema 2020-12; ``$ref`` pointers such as
``#/components/schemas/Account`` are resolved by a ``referencing`` registry holding the whole
document. Formats are checked too (``date-time`` in Mastodon's ``YYYY-MM-DDTHH:MM:SS.sssZ``
form, ``uri`` as an absolute URI), since apps parse them rather than display them.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jsonschema
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "mastodon-openapi" / "schema.json"

# The registry's name for the document: every "#/..." pointer in it resolves against this.
_BASE = "urn:fedishare:mastodon-openapi"

# Mastodon renders every timestamp with Ruby's iso8601(3): milliseconds and a "Z".
_MASTODON_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# How many separate problems one failure lists before "... and N more".
_MOST_PROBLEMS = 8


@functools.cache
def document() -> dict[str, Any]:
    """The whole OpenAPI document, read once on first use (never at import)."""
    assert SCHEMA_FILE.is_file(), f"Mastodon's API schema is missing: {SCHEMA_FILE}"
    loaded: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return loaded


@functools.cache
def _registry() -> Registry[Any]:
    resource = Resource.from_contents(document(), default_specification=DRAFT202012)
    return Registry().with_resource(_BASE, resource)


def _format_checker() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def mastodon_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if _MASTODON_TIME.fullmatch(value) is None:
            return False
        datetime.fromisoformat(value.replace("Z", "+00:00"))  # raises on 2024-13-45
        return True

    @checker.checks("date", raises=ValueError)
    def date(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if _DATE.fullmatch(value) is None:
            return False
        datetime.strptime(value, "%Y-%m-%d")
        return True

    @checker.checks("email")
    def email(value: object) -> bool:
        # Mastodon sends "" for an unset contact address (Setting.site_contact_email).
        if not isinstance(value, str) or value == "":
            return True
        local, at, domain = value.rpartition("@")
        return bool(local and at and domain)

    @checker.checks("uri")
    def uri(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        if not parts.scheme or any(c.isspace() for c in value):
            return False
        return bool(parts.netloc) if parts.scheme in ("http", "https", "ws", "wss") else True

    return checker


def _entity(name: str) -> dict[str, str]:
    return {"$ref": f"{_BASE}#/components/schemas/{name}"}


# Where the schema contradicts what Mastodon answers (and apps therefore expect), keyed by
# (path, method, status): the schema used instead, and why.
_ERRATA: dict[tuple[str, str, str], dict[str, Any]] = {
    # docs.joinmastodon.org/methods/filters/#get-v1: "Returns: Array of V1::Filter"; the
    # generated schema says a single V1Filter.
    ("/api/v1/filters", "get", "200"): {"type": "array", "items": _entity("V1Filter")},
}
# Mastodon answers many 422s with only {"error": ...} (its controllers' own refusals, e.g.
# "Duplicate record"); `details` comes only with a failed model validation. The schema's
# ValidationError demands `details` everywhere, so a 422 is held to Error instead.
_PLAIN_ERROR_STATUSES = frozenset({"422"})


@functools.cache
def _validator(pointer: str) -> jsonschema.Draft202012Validator:
    """A validator for the schema at ``pointer`` (a JSON pointer into the document)."""
    return _validator_of(json.dumps({"$ref": f"{_BASE}#{pointer}"}))


@functools.cache
def _validator_of(schema_json: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        json.loads(schema_json), registry=_registry(), format_checker=_format_checker()
    )


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _pointer(*tokens: str) -> str:
    return "".join("/" + _escape(token) for token in tokens)


def _where(error: ValidationError) -> str:
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    return "$" + path


def _describe(errors: Iterable[ValidationError]) -> list[str]:
    """One line per problem: where in the value, what was found, and what the schema wanted."""
    lines: list[str] = []
    for error in errors:
        # For anyOf/oneOf the top error says little; its closest sub-error says which field.
        best = (best_match(error.context) if error.context else None) or error
        wanted = best.schema if isinstance(best.schema, Mapping) else {}
        described = wanted.get("description", "")
        hint = f" ({described.strip()[:100]})" if described else ""
        lines.append(f"  at {_where(best)}: {best.message}{hint}")
    return lines


def _validate(value: Any, pointer: str, what: str, schema: dict[str, Any] | None = None) -> None:
    validator = _validator(pointer) if schema is None else _validator_of(json.dumps(schema))
    errors = sorted(validator.iter_errors(value), key=lambda e: [str(p) for p in e.absolute_path])
    if not errors:
        return
    lines = _describe(errors[:_MOST_PROBLEMS])
    if len(errors) > _MOST_PROBLEMS:
        lines.append(f"  ... and {len(errors) - _MOST_PROBLEMS} more")
    shown = json.dumps(value, ensure_ascii=False, default=str)
    if len(shown) > 1500:
        shown = shown[:1500] + "..."
    raise AssertionError(
        f"{what} does not match Mastodon's schema:\n" + "\n".join(lines) + f"\nbody: {shown}"
    )


def _template_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    pattern = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(pattern + "/?")


def _status_key(responses: Mapping[str, Any], status: int) -> str | None:
    for key in (str(status), f"{str(status)[0]}XX", "default"):
        if key in responses:
            return key
    return None


def _body(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError as error:
        raise AssertionError(
            f"{response.status_code} answer is not JSON ({error}): {response.text[:300]!r}"
        ) from error


def _request_path(response: httpx.Response) -> str | None:
    try:
        return response.request.url.path
    except RuntimeError:  # a Response built by hand, without a request
        return None


def check(
    response: httpx.Response,
    method: str,
    path_template: str,
    *,
    allow_missing: bool = False,
) -> Any:
    """Validate ``response`` as Mastodon's answer to ``method path_template``; return its JSON.

    ``path_template`` is spelled as in schema.json (``/api/v1/statuses/{id}``). A path, method or
    status the schema doesn't document fails, so a typo cannot pass silently; pass
    ``allow_missing=True`` for endpoints Mastodon has but the schema lacks (the body is then
    only required to be JSON).
    """
    verb = method.lower()
    paths: dict[str, Any] = document()["paths"]
    what = f"{method.upper()} {path_template} -> {response.status_code}"

    requested = _request_path(response)
    if requested is not None:
        assert _template_pattern(path_template).fullmatch(requested), (
            f"the response is to {requested}, which is not {path_template}"
        )
        assert response.request.method.lower() == verb, (
            f"the response is to {response.request.method}, not {method.upper()}"
        )

    body = _body(response)
    operation = paths.get(path_template, {}).get(verb)
    if operation is None:
        if allow_missing:
            return body
        close = difflib.get_close_matches(path_template, list(paths), n=3)
        known = sorted(paths.get(path_template, {}))
        raise AssertionError(
            f"{method.upper()} {path_template} is not in Mastodon's schema"
            + (f"; it has {', '.join(m.upper() for m in known)} there" if known else "")
            + (f"; did you mean {' or '.join(close)}?" if close and not known else "")
        )

    responses: dict[str, Any] = operation.get("responses", {})
    key = _status_key(responses, response.status_code)
    if key is None:
        if allow_missing:
            return body
        raise AssertionError(
            f"{what} is not an answer Mastodon's schema documents "
            f"(it has {', '.join(sorted(responses))}); body: {response.text[:500]!r}"
        )

    content = responses[key].get("content") or {}
    media = next((m for m in content if m.startswith("application/json")), None)
    if media is None or "schema" not in content[media]:
        return body
    content_type = response.headers.get("content-type", "")
    assert content_type.startswith("application/json"), (
        f"{what} should be JSON but is {content_type!r}: {response.text[:300]!r}"
    )
    pointer = _pointer("paths", path_template, verb, "responses", key, "content", media, "schema")
    erratum = _ERRATA.get((path_template, verb, key))
    if erratum is None and key in _PLAIN_ERROR_STATUSES:
        erratum = _entity("Error")
    _validate(body, pointer, what, erratum)
    return body


def check_entity(value: Any, name: str) -> Any:
    """Validate ``value`` as the entity ``name`` (``"Status"``, ``"Account"``...); return it."""
    schemas: dict[str, Any] = document()["components"]["schemas"]
    if name not in schemas:
        close = difflib.get_close_matches(name, list(schemas), n=3)
        raise AssertionError(
            f"{name} is not an entity in Mastodon's schema"
            + (f"; did you mean {' or '.join(close)}?" if close else "")
        )
    _validate(value, _pointer("components", "schemas", name), name)
    return value
