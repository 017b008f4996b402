"""Project-wide middleware: request ids and the request log, response headers, NUL-byte refusal, lazy messages."""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.functional import SimpleLazyObject, empty

from lib import metrics
from lib.logs import credential_var, request_id_var

# What we accept from X-Request-ID: a UUID, nginx's $request_id, or any id of these characters.
# Anything else (too long, spaces, control characters, which could forge log lines) gets a new id.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")
request_logger = logging.getLogger("keyhouse.request")


class RequestIdMiddleware:
    """Gives every request an id (the caller's valid `X-Request-ID`, or a new one), puts it on every
    log record of the request and echoes it in the response; then logs one line for the request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.log = settings.REQUEST_LOG

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else os.urandom(16).hex()
        request.request_id = request_id  # type: ignore[attr-defined]
        id_token = request_id_var.set(request_id)
        credential_token = credential_var.set(None)
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            if self.log:
                # The path only: query strings may carry tokens (the redaction filter would catch known shapes).
                request_logger.info(
                    "%s %s %s",
                    request.method,
                    request.path,
                    response.status_code,
                    extra={
                        "status": response.status_code,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    },
                )
            metrics.sync_stats()
            return response
        finally:
            credential_var.reset(credential_token)
            request_id_var.reset(id_token)


# No inline scripts or styles, nothing from another origin: every asset is vendored under static/.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


class ContentSecurityPolicyMiddleware:
    """Sends a strict Content-Security-Policy on every HTML response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response.setdefault("Content-Security-Policy", CSP)
        return response


class RejectNulBytesMiddleware:
    """Answers 400 to a NUL byte in the path, query string or form fields.

    PostgreSQL text cannot hold NUL, so such input would otherwise surface as a 500 from whichever
    query it reached first. Checking once here keeps every view and filter safe.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._has_nul(request):
            from config.api_errors import error_body

            if request.path.startswith("/api/"):
                return JsonResponse(error_body("malformed_request", "The request contains a NUL byte."), status=400)
            return HttpResponseBadRequest("The request contains a NUL byte.", content_type="text/plain")
        return self.get_response(request)

    @staticmethod
    def _has_nul(request: HttpRequest) -> bool:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            return True
        content_type = request.META.get("CONTENT_TYPE", "")
        if request.method == "POST" and content_type.startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            return any("\x00" in value for values in request.POST.lists() for value in values[1])
        return False


class LazyMessageMiddleware(MessageMiddleware):
    """Django's MessageMiddleware, with the storage built only once a message is read or added.

    The stock middleware builds a cookie and a session storage (and a cookie signer) for every
    request, API calls included, which never carry a message; that was about 3 % of a tiny API
    request's server time. Pages that show or add messages behave exactly as before.
    """

    def process_request(self, request: HttpRequest) -> None:
        request._messages = SimpleLazyObject(lambda: default_storage(request))  # type: ignore[attr-defined]

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        messages = getattr(request, "_messages", None)
        if isinstance(messages, SimpleLazyObject) and messages._wrapped is empty:  # type: ignore[attr-defined]
            return response  # never used: nothing to store
        return super().process_response(request, response)
