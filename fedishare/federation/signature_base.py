"""The RFC 9421 signature base: the exact bytes an HTTP message signature signs.

One line per covered component, ``"<component>": <value>``, then
``"@signature-params": <the Signature-Input member>``, joined with ``\\n`` (§2.5).

The components every fediverse server signs (``@method``, ``@target-uri``, ``@authority``,
``@path``, ``@query``, ``@scheme``, ``@request-target`` and plain header fields) are read
here, straight from the values the inbox already has; any other (a field with ``sf``, ``key``
or ``bs``, ``@query-param``, ...) is resolved by http-message-signatures'
``HTTPSignatureComponentResolver``, which knows the whole of §2. Its resolver wants a message
object and costs ~100 µs to set up, which the common case need not pay.
"""

from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple, cast

from http_message_signatures import HTTPMessageSignaturesException, HTTPSignatureComponentResolver
from http_sf.compat import Item
from http_sf.types import BareItemType

from fedishare.federation.errors import BadSignature, MalformedSignature
from fedishare.federation.signature_input import Component, MessageSignature


class Request(NamedTuple):
    """What a signature base is built from: the request as it arrived."""

    method: str  # as sent, upper-case
    scheme: str  # "https" or "http": how the sender reached us
    target: str  # path and query exactly as sent
    headers: Mapping[str, str]  # lower-case names, repeated fields joined with ", "


_DEFAULT_PORTS = {"https": "443", "http": "80"}


def _host(request: Request) -> str:
    host = request.headers.get("host")
    if not host:
        raise BadSignature("the request has no Host header to build @authority from")
    return host


def _authority(request: Request) -> str:
    # §2.2.3: lower-case, without the scheme's default port.
    host = _host(request).lower()
    name, colon, port = host.rpartition(":")
    if colon and "]" not in port and port == _DEFAULT_PORTS.get(request.scheme):
        return name
    return host


def _path(request: Request) -> str:
    return request.target.partition("?")[0] or "/"


def _query(request: Request) -> str:
    return "?" + request.target.partition("?")[2]


_DERIVED: dict[str, Callable[[Request], str]] = {
    "@method": lambda r: r.method,
    "@target-uri": lambda r: f"{r.scheme}://{_host(r)}{r.target}",
    "@authority": _authority,
    "@scheme": lambda r: r.scheme,
    "@request-target": lambda r: r.target,
    "@path": _path,
    "@query": _query,
}


def build_signature_base(signature: MessageSignature, request: Request) -> bytes:
    """The signature base of ``signature`` for ``request``.

    Raises BadSignature when a covered component is not in the request (so nothing could
    have been signed), MalformedSignature when a value cannot be in a signature base.
    """
    lines = []
    library: _LibraryResolver | None = None
    for component in signature.components:
        if not component.params and component.name in _DERIVED:
            value = _DERIVED[component.name](request)
        elif not component.params and component.name[:1] != "@":
            found = request.headers.get(component.name)
            if found is None:
                raise BadSignature(f"signed header {component.name!r} is missing from the request")
            value = found
        else:
            library = library or _LibraryResolver(request)
            value = library.resolve(component)
        if "\n" in value or "\r" in value:
            raise MalformedSignature(f"signed component {component.text} has a line break")
        lines.append(f"{component.text}: {value}\n")
    lines.append(f'"@signature-params": {signature.params_text}')
    try:
        return "".join(lines).encode("ascii")
    except UnicodeEncodeError as exc:
        # The base is ASCII (§2.5): a signer cannot have signed another character.
        raise MalformedSignature("a signed component has a non-ASCII value") from exc


class _Headers:
    def __init__(self, headers: Mapping[str, str]) -> None:
        self._headers = headers

    def items(self) -> Iterable[tuple[str, str]]:
        return self._headers.items()


class _Message:
    """The request as HTTPSignatureComponentResolver reads one: method, url, headers."""

    def __init__(self, request: Request) -> None:
        self.method = request.method
        self.url = f"{request.scheme}://{_host(request)}{request.target}"
        self.headers = _Headers(request.headers)


# The library's constructor is untyped; what it returns is typed enough for us.
_RESOLVER: Callable[[_Message], HTTPSignatureComponentResolver] = HTTPSignatureComponentResolver


class _LibraryResolver:
    def __init__(self, request: Request) -> None:
        message = _Message(request)
        try:
            self._resolver = _RESOLVER(message)
        except HTTPMessageSignaturesException as exc:
            raise MalformedSignature(f"the request cannot be signed: {exc}") from exc

    def resolve(self, component: Component) -> str:
        item = Item(component.name)
        item.params.update(cast(dict[str, BareItemType], dict(component.params)))
        try:
            value = self._resolver.resolve(item)
        except HTTPMessageSignaturesException as exc:
            raise BadSignature(f"signed component {component.text} cannot be read: {exc}") from exc
        except (ValueError, TypeError, KeyError) as exc:
            raise MalformedSignature(f"signed component {component.text} is malformed") from exc
        if not isinstance(value, str):
            raise MalformedSignature(f"signed component {component.text} is malformed")
        return value
