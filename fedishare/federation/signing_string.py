"""The draft-cavage signing string: the exact bytes that get signed and verified."""

from collections.abc import Iterable, Mapping, Sequence

from fedishare.federation._httpsig import generate_message
from fedishare.federation.errors import BadSignature, MalformedSignature

REQUEST_TARGET = "(request-target)"


def lower_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Header pairs as a lower-case-keyed dict, repeated headers joined with ", " (the draft)."""
    out: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        value = value.strip()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


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
    values = headers
    if created is not None or expires is not None:
        # httpsig knows only (request-target); (created)/(expires) are passed as plain
        # "headers" so that it renders them as "(created): <value>", as the draft wants.
        values = dict(headers)
        if created is not None:
            values["(created)"] = str(created)
        if expires is not None:
            values["(expires)"] = str(expires)
    for name in covered:
        if name != REQUEST_TARGET and name not in values:
            raise BadSignature(f"signed header {name!r} is missing from the request")
    try:
        message: bytes = generate_message(list(covered), values, method=method, path=target)
    except UnicodeEncodeError as exc:
        # httpsig builds the string in ASCII; a non-ASCII value cannot have been signed by us.
        raise MalformedSignature("a signed header has a non-ASCII value") from exc
    except Exception as exc:  # httpsig raises bare Exception; keep it from leaking
        raise BadSignature(f"cannot build the signing string: {exc}") from exc
    return message
