"""The RFC 9421 ``Signature-Input`` and ``Signature`` headers: parsing what we receive.

Both are Structured Fields dictionaries keyed by a label; a Signature-Input member is the
inner list of covered components with the signature's parameters (``created``, ``keyid``,
``alg``, ...), and the Signature member of the same label is the signature's bytes.

Parsed with ``http_sf`` (the Structured Fields parser http-message-signatures itself uses),
except for the shape nearly every server writes (plain component names, string and integer
parameters, canonical spacing), which one regular expression reads: http_sf walks the text
a character at a time, ~40 µs for a Signature-Input and ~60 µs for an RSA Signature, more
than verifying the signature. Both paths give the same result (tests compare them).
"""

import binascii
import re
from collections.abc import Iterator
from typing import NamedTuple, cast

import http_sf

from fedishare.federation.errors import MalformedSignature

Param = object  # a Structured Fields bare item; we read str and int


class Component(NamedTuple):
    """One covered component: ``"@method"``, or a field with parameters such as
    ``"content-digest";sf``."""

    name: str
    params: tuple[tuple[str, Param], ...]  # () for a plain component
    text: str  # its serialization, the left side of its line in the signature base


class MessageSignature(NamedTuple):
    """One labelled signature: what it covers, its parameters and its bytes."""

    label: str
    components: tuple[Component, ...]
    params: dict[str, Param]
    params_text: str  # the "@signature-params" value: the member as serialized
    signature: bytes


# A signature by a 4096-bit RSA key is ~700 characters and a Signature-Input a few hundred;
# the limit keeps a hostile header from costing the parser more than a few milliseconds.
MAX_LENGTH = 8192

_KEY = r"[a-z*][a-z0-9_\-.*]*"
_STRING = r'"[ !#-\[\]-~]*"'  # printable ASCII, no quote or backslash: nothing escaped
_INTEGER = r"0|-?[1-9][0-9]{0,14}"  # as serialized: no leading zeros, no -0
_INPUT_MEMBER = re.compile(
    rf"({_KEY})=(\(((?:{_STRING}(?: {_STRING})*)?)\)((?:;{_KEY}=(?:{_STRING}|{_INTEGER}))*))"
)
_COMPONENT_NAMES = re.compile(r'"([^"]*)"')
_PARAM = re.compile(rf'({_KEY})=(?:"([^"]*)"|(-?[0-9]+))')
_SIGNATURE_MEMBER = re.compile(rf"({_KEY})=:([A-Za-z0-9+/]*={{0,2}}):")
_SEPARATOR = re.compile(r"[ \t]*,[ \t]*")


def parse_message_signatures(signature_input: str, signature: str) -> list[MessageSignature]:
    """The signatures of a request, in Signature-Input order; a label that has no Signature
    member is left out. Raises MalformedSignature if either header is not well formed, or
    if no label has both."""
    for name, value in (("Signature-Input", signature_input), ("Signature", signature)):
        if len(value) > MAX_LENGTH:
            raise MalformedSignature(f"{name} is longer than {MAX_LENGTH} characters")
    inputs = _quick_inputs(signature_input)
    if inputs is None:
        inputs = _parsed_inputs(signature_input)
    values = _quick_signatures(signature)
    if values is None:
        values = _parsed_signatures(signature)
    found = [
        MessageSignature(label, components, params, text, values[label])
        for label, components, params, text in inputs
        if label in values
    ]
    if not found:
        raise MalformedSignature("no Signature-Input label has a Signature")
    return found


_Input = tuple[str, tuple[Component, ...], dict[str, Param], str]


def _quick_inputs(value: str) -> list[_Input] | None:
    out: list[_Input] = []
    for match in _members(_INPUT_MEMBER, value.strip(" \t")):
        if match is None:
            return None
        names = _COMPONENT_NAMES.findall(match[3])
        params: dict[str, Param] = {}
        for param in _PARAM.finditer(match[4]):
            params[param[1]] = param[2] if param[3] is None else int(param[3])
        if len(set(names)) != len(names) or len(params) != match[4].count(";"):
            return None  # repeats: let the parser below refuse them
        if any(name != name.lower() for name in names):
            return None
        components = tuple(Component(name, (), f'"{name}"') for name in names)
        out.append((match[1], components, params, match[2]))
    labels = [label for label, *_ in out]
    return out if len(set(labels)) == len(labels) else None


def _quick_signatures(value: str) -> dict[str, bytes] | None:
    out: dict[str, bytes] = {}
    for match in _members(_SIGNATURE_MEMBER, value.strip(" \t")):
        if match is None or match[1] in out:
            return None
        try:
            out[match[1]] = binascii.a2b_base64(match[2], strict_mode=True)
        except binascii.Error:
            return None
    return out


def _members(member: re.Pattern[str], value: str) -> Iterator[re.Match[str] | None]:
    """Each member of a dictionary written as ``member, member``; None where one does not
    match (and the caller then gives up)."""
    pos, end = 0, len(value)
    while True:
        found = member.match(value, pos)
        yield found
        if found is None:
            return
        pos = found.end()
        if pos == end:
            return
        separator = _SEPARATOR.match(value, pos)
        if separator is None or separator.end() == end:
            yield None
            return
        pos = separator.end()


def _reject_duplicate(key: str, context: str) -> None:
    raise MalformedSignature(f"{key!r} is repeated")


def _dictionary(name: str, value: str) -> dict[str, object]:
    try:
        parsed = http_sf.parse(
            value.encode("latin-1"), tltype="dictionary", on_duplicate_key=_reject_duplicate
        )
    except (ValueError, TypeError) as exc:  # StructuredFieldError, UnicodeEncodeError
        raise MalformedSignature(f"{name} is not a structured dictionary") from exc
    if not isinstance(parsed, dict):  # unreachable with tltype="dictionary"; for the types
        raise MalformedSignature(f"{name} is not a structured dictionary")
    return dict(parsed)


def _parsed_inputs(value: str) -> list[_Input]:
    out: list[_Input] = []
    for label, member in _dictionary("Signature-Input", value).items():
        items, params = _inner_list(label, member)
        components = []
        for item in items:
            if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
                raise MalformedSignature(
                    f"Signature-Input {label!r} has a component that is not a string"
                )
            name, item_params = item
            if name != name.lower():
                raise MalformedSignature(f"Signature-Input component {name!r} is not lower-case")
            text = http_sf.ser((name, item_params))
            components.append(Component(name, tuple(item_params.items()), text))
        if len({c.text for c in components}) != len(components):
            raise MalformedSignature(f"Signature-Input {label!r} covers a component twice")
        # The "@signature-params" value is the member serialized (RFC 9421 §2.3).
        text = http_sf.ser(cast(http_sf.DictionaryType, {label: member})).removeprefix(f"{label}=")
        out.append((label, tuple(components), dict(params), text))
    return out


def _inner_list(label: str, member: object) -> tuple[list[object], dict[str, Param]]:
    if (
        isinstance(member, tuple)
        and len(member) == 2
        and isinstance(member[0], list)
        and isinstance(member[1], dict)
    ):
        return member[0], member[1]
    raise MalformedSignature(f"Signature-Input {label!r} is not a list of components")


def _parsed_signatures(value: str) -> dict[str, bytes]:
    out = {}
    for label, member in _dictionary("Signature", value).items():
        raw = member[0] if isinstance(member, tuple) else member
        if not isinstance(raw, bytes):
            raise MalformedSignature(f"Signature {label!r} is not a byte sequence")
        out[label] = raw
    return out
