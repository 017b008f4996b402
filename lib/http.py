"""Small HTTP helpers every app's views share: the bearer token of a request, `no-store` answers, 404 for a
row the caller may not see, and an API request's validated body.

A page or API answer that carries a secret must never be kept by a browser or a proxy cache, so it
goes out with `no-store` (and `Pragma: no-cache` for HTTP/1.0 caches, as RFC 6749 section 5.1 asks).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from django.db.models import Model, QuerySet
from django.http import Http404, HttpResponseBase

if TYPE_CHECKING:  # only views of DRF call validated(); the portal's middleware need not import DRF
    from rest_framework.request import Request
    from rest_framework.serializers import BaseSerializer

# Headers for an API answer that contains a secret (DRF: `Response(..., headers=NO_STORE)`).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# Portal pages add the directives older browsers need before they stop keeping a page in history.
PAGE_NO_STORE = "no-store, no-cache, must-revalidate, private"

# A host as it may appear in a CSP source: DNS labels (IDNA-encoded) or a bracketed IPv6 literal.
_CSP_HOST = re.compile(
    r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)*|\[[0-9a-f:.]+\]"
)
# Characters that end or split a CSP directive or source list, or a header value.
HEADER_UNSAFE = frozenset(";,'\"\\ \t\r\n\x0b\x0c")

ResponseT = TypeVar("ResponseT", bound=HttpResponseBase)
ModelT = TypeVar("ModelT", bound=Model)


def no_store(response: ResponseT) -> ResponseT:
    """Mark a portal page that shows a secret as never stored, and return it."""
    response["Cache-Control"] = PAGE_NO_STORE
    response["Pragma"] = "no-cache"
    return response


def csp_origin(url: str, *, schemes: tuple[str, ...] = ("https",)) -> str | None:
    """`scheme://host[:port]` of `url`, rebuilt from its parsed parts, for a Content-Security-Policy source
    list; None when the URL could widen the policy beyond one origin (a `;` or `,` that would start
    another directive, quotes, whitespace, credentials, an odd host or scheme). User data is never spliced
    into a header as given: only this normalised origin is."""
    if not url or any(ch in HEADER_UNSAFE for ch in url) or not url.isascii():
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    if parts.scheme not in schemes or parts.username is not None or "@" in parts.netloc:
        return None
    if not _CSP_HOST.fullmatch(host if ":" not in host else f"[{host}]"):
        return None
    shown = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{shown}" + (f":{port}" if port is not None else "")


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header value, or None for any other scheme or none.

    The scheme is case-insensitive (RFC 7235); the token is everything after the first space, as
    sent, so each caller decides which tokens are its own.
    """
    if not authorization:
        return None
    scheme, sep, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not sep or not token:
        return None
    return token


def first_or_404(queryset: QuerySet[ModelT]) -> ModelT:
    """The first row of `queryset` (already narrowed to what the caller may see), or Http404: a row that does
    not exist and one of another organization look the same."""
    row = queryset.first()
    if row is None:
        raise Http404
    return row


def validated(serializer_class: type[BaseSerializer[Any]], request: Request, **options: Any) -> dict[str, Any]:
    """The API request's body as `serializer_class` (with `options`, e.g. `partial=True`) validates it; an
    invalid body is DRF's 400 naming the fields."""
    serializer = serializer_class(data=request.data, **options)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
