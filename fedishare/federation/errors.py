"""Why a signed request was refused (`fedishare.http.errors` gives each its HTTP answer:
401, or 400 for a malformed signature), and why a document from another server could not
be had."""


class SignatureError(Exception):
    """A request's HTTP signature cannot be accepted."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MalformedSignature(SignatureError):
    """The Signature header, or a header it covers, cannot be parsed."""


class MissingSignature(SignatureError):
    """The request carries no Signature header."""


class UnsupportedSignature(SignatureError):
    """An algorithm or signature scheme we do not verify."""


class HeaderNotSigned(SignatureError):
    """A header that must be covered by the signature is not."""


class DateOutOfRange(SignatureError):
    """The signature's date is too old, in the future, or past its expiry."""


class DigestMismatch(SignatureError):
    """The Digest header does not match the body."""


class BadSignature(SignatureError):
    """The signature does not verify against the signing string."""


class KeyUnavailable(SignatureError):
    """No usable public key for a keyId (bad PEM, not RSA, or a failed fetch).

    Key resolvers may raise it too, so that the caller maps it to 401 like the rest.
    """


class FetchError(Exception):
    """A document could not be fetched or is not usable; ``status`` is the peer's answer,
    when there was one (410 means the document is gone for good)."""

    def __init__(self, reason: str, *, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
