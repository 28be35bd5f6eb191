"""The draft-cavage signing string: the exact bytes that get signed and verified."""

from collections.abc import Iterable, Mapping, Sequence

from fedishare.federation._httpsig import generate_message
from fedishare.federation.errors import BadSignature, MalformedSignature

REQUEST_TARGET = "(request-target)"


class HeaderValues(dict[str, str]):
    """Header values by lower-case name, repeated headers joined with ", " (the draft)."""


def lower_headers(headers: Iterable[tuple[str, str]]) -> HeaderValues:
    """Header pairs as HeaderValues."""
    out = HeaderValues()
    for name, value in headers:
        key = name.lower()
        value = value.strip()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def asgi_header_values(raw: Sequence[tuple[bytes, bytes]]) -> HeaderValues:
    """An ASGI scope's ``headers`` as HeaderValues (latin-1, as HTTP/1.1 carries them).

    In the usual request no name repeats, so one pass builds it (every inbox POST comes
    here); repeats are joined by lower_headers.
    """
    out = HeaderValues(
        [(name.decode("latin-1").lower(), value.decode("latin-1").strip()) for name, value in raw]
    )
    if len(out) == len(raw):
        return out
    return lower_headers((name.decode("latin-1"), value.decode("latin-1")) for name, value in raw)


def build_signing_string(
    covered: Sequence[str],
    *,
    method: str,
    target: str,
    headers: Mapping[str, str],
    created: int | None = None,
    expires: int | None = None,
) -> bytes:
    """Build the signing string for ``covered`` (lower-case names, signed order).

    ``headers`` must have lower-case names (see lower_headers); ``target`` is the path
    with its query string exactly as sent.
    """
    if not method or not target:
        raise ValueError("method and target are required for (request-target)")
    # Only the covered values go to httpsig, which copies what it is given.
    values: dict[str, str] = {}
    for name in covered:
        if name == REQUEST_TARGET:
            continue
        # httpsig knows only (request-target); (created)/(expires) are passed as plain
        # "headers" so that it renders them as "(created): <value>", as the draft wants.
        value = _pseudo_header(name, created, expires) or headers.get(name)
        if value is None:
            raise BadSignature(f"signed header {name!r} is missing from the request")
        values[name] = value
    try:
        message: bytes = generate_message(list(covered), values, method=method, path=target)
    except UnicodeEncodeError as exc:
        # httpsig builds the string in ASCII; a non-ASCII value cannot have been signed by us.
        raise MalformedSignature("a signed header has a non-ASCII value") from exc
    except Exception as exc:  # httpsig raises bare Exception; keep it from leaking
        raise BadSignature(f"cannot build the signing string: {exc}") from exc
    return message


def _pseudo_header(name: str, created: int | None, expires: int | None) -> str | None:
    if name == "(created)" and created is not None:
        return str(created)
    if name == "(expires)" and expires is not None:
        return str(expires)
    return None
