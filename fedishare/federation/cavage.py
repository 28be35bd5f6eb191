"""Draft-cavage text formats: the signing string and the ``Signature`` parameter template.

Byte for byte what httpsig 1.3.0's ``generate_message`` and ``build_signature_template``
give (tests/federation/test_cavage.py compares the two), without importing httpsig: its
package imports ``pkg_resources``, which recent setuptools no longer ship.
"""

from collections.abc import Mapping, Sequence

__all__ = [
    "REQUEST_TARGET",
    "SigningStringError",
    "build_signature_template",
    "generate_message",
]

REQUEST_TARGET = "(request-target)"
_DEFAULT_COVERED = ("date",)  # the draft's default when no header list is given


class SigningStringError(ValueError):
    """A covered header has no value, or (request-target) has no method or path."""


def generate_message(
    required_headers: Sequence[str] | None,
    headers: Mapping[str, str] | None,
    host: str | None = None,
    method: str | None = None,
    path: str | None = None,
) -> bytes:
    """The signing string: one ``name: value`` line per covered name, in the given order.

    Names are lower-cased, and looked up in ``headers`` whatever the case of its keys (when
    two keys differ only in case, the later one counts). A name covered twice gives two
    lines. No covered names means ``date`` alone. ``(request-target)`` is
    ``<lower-case method> <path>``; ``host`` is the ``host`` argument if given, else the
    header. Other pseudo-headers, such as ``(created)``, are looked up in ``headers`` like
    any header. The lines are joined with ``\\n`` and encoded as ASCII (UnicodeEncodeError
    for any other character); a missing value raises SigningStringError.
    """
    values = {name.lower(): value for name, value in (headers or {}).items()}
    lines = []
    for covered in required_headers or _DEFAULT_COVERED:
        name = covered.lower()
        if name == REQUEST_TARGET:
            if not method or not path:
                raise SigningStringError(
                    'method and path arguments required when using "(request-target)"'
                )
            value = f"{method.lower()} {path}"
        elif name == "host" and host:
            value = host
        elif name in values:
            value = values[name]
        else:
            raise SigningStringError(f'missing required header "{name}"')
        lines.append(f"{name}: {value}")
    return "\n".join(lines).encode("ascii")


def build_signature_template(
    key_id: str,
    algorithm: str,
    headers: Sequence[str] | None,
    sign_header: str = "authorization",
) -> str:
    """The Signature parameters with ``%s`` where the base64 signature goes.

    ``keyId``, ``algorithm``, ``signature``, then ``headers`` (lower-cased, space-separated;
    left out when there are none), each as ``name="value"``, joined with commas. Values are
    written as given, not escaped: a ``%`` in them must be doubled before the template is
    filled with ``template % signature``. For the ``Authorization`` header (``sign_header``
    in any case) the parameters follow ``Signature ``.
    """
    params = [("keyId", key_id), ("algorithm", algorithm), ("signature", "%s")]
    if headers:
        params.append(("headers", " ".join(name.lower() for name in headers)))
    text = ",".join(f'{name}="{value}"' for name, value in params)
    if sign_header.lower() == "authorization":
        return f"Signature {text}"
    return text
