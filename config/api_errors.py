"""One JSON error shape for the whole API: {"error": {"code", "message", "detail"}}."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

_CODES: dict[type[exceptions.APIException], tuple[str, str]] = {
    exceptions.NotAuthenticated: ("not_authenticated", "Authentication credentials were not provided."),
    exceptions.AuthenticationFailed: ("authentication_failed", "Invalid or inactive credential."),
    exceptions.PermissionDenied: ("permission_denied", "You do not have permission to perform this action."),
    exceptions.NotFound: ("not_found", "Not found."),
    exceptions.MethodNotAllowed: ("method_not_allowed", "Method not allowed."),
    exceptions.NotAcceptable: ("not_acceptable", "Could not satisfy the request Accept header."),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", "Send the body as application/json."),
    exceptions.ParseError: ("malformed_request", "The request body could not be parsed."),
    exceptions.ValidationError: ("invalid_request", "The request has invalid fields."),
    exceptions.Throttled: ("rate_limited", "Too many requests."),
}


def error_body(code: str, message: str, detail: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "detail": detail}}


def _code_and_message(exc: exceptions.APIException) -> tuple[str, str]:
    for cls in type(exc).__mro__:
        if cls in _CODES:
            code, message = _CODES[cls]  # type: ignore[index]
            break
    else:
        code, message = "error", "The request failed."
    # An explicit code on the exception (e.g. PermissionDenied(code="insufficient_scope")) wins.
    own = getattr(exc, "error_code", None)
    if own:
        code = own
    if not isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, str):
        message = str(exc.detail)
    return code, message


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler that renders every API error in the house shape."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        code = getattr(exc, "error_code", None)  # e.g. the rule's SudoRequired: "reauthentication_required"
        exc = exceptions.PermissionDenied(str(exc) or None)
        if code:
            exc.error_code = code  # type: ignore[attr-defined]
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    code, message = _code_and_message(exc)
    detail: Any = None
    if isinstance(exc, exceptions.ValidationError):
        detail = response.data
    elif isinstance(exc, exceptions.Throttled):
        detail = {"retry_after": getattr(exc, "wait", None)}
    extra = getattr(exc, "error_detail", None)
    if extra is not None:
        detail = extra
    response.data = error_body(code, message, detail)
    for header, value in (getattr(exc, "extra_headers", None) or {}).items():
        response[header] = value
    return response


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/o/")


def json_or_html_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception or Http404())


def json_or_html_500(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(error_body("server_error", "Internal server error."), status=500)
    from django.views.defaults import server_error

    return server_error(request)


def json_or_html_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(error_body("bad_request", "Bad request."), status=400)
    from django.views.defaults import bad_request

    return bad_request(request, exception or Exception())
