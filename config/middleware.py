"""Project-wide response headers."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

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
