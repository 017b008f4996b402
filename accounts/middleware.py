"""Sends members of a team that requires a second factor to enrol, instead of a bare 403."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.mfa import SecondFactorRequired


class SecondFactorEnrolmentMiddleware:
    """Turns `SecondFactorRequired` from a portal page into a redirect to the security page (the API keeps its 403)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, SecondFactorRequired) or request.path.startswith("/api/"):
            return None
        messages.warning(request, str(exception))
        return redirect(f"{reverse('accounts:security')}?{urlencode({'next': request.get_full_path()})}")
