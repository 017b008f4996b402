"""Small HTTP helpers every app's views share: the bearer token of a request, `no-store` answers, and 404
for a row the caller may not see.

A page or API answer that carries a secret must never be kept by a browser or a proxy cache, so it
goes out with `no-store` (and `Pragma: no-cache` for HTTP/1.0 caches, as RFC 6749 section 5.1 asks).
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404, HttpResponseBase

# Headers for an API answer that contains a secret (DRF: `Response(..., headers=NO_STORE)`).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# Portal pages add the directives older browsers need before they stop keeping a page in history.
PAGE_NO_STORE = "no-store, no-cache, must-revalidate, private"

ResponseT = TypeVar("ResponseT", bound=HttpResponseBase)
ModelT = TypeVar("ModelT", bound=Model)


def no_store(response: ResponseT) -> ResponseT:
    """Mark a portal page that shows a secret as never stored, and return it."""
    response["Cache-Control"] = PAGE_NO_STORE
    response["Pragma"] = "no-cache"
    return response


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
