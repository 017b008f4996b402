"""One tiny JSON endpoint behind each authentication scheme under comparison."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_api_key.permissions import HasAPIKey

from keys.authentication import APIKeyAuthentication
from keys.permissions import HasScopes


class OpenView(APIView):
    """No authentication at all: the ceiling the others are measured against."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class OursView(OpenView):
    """Ours, as the company's API uses it; the default CredentialRateThrottle stays on."""

    authentication_classes = [APIKeyAuthentication]
    permission_classes = [HasScopes]
    required_scopes = ["orders:read"]


class HasAPIKeyView(OpenView):
    """djangorestframework-api-key 3.x, as its documentation sets it up."""

    authentication_classes: list[Any] = []
    permission_classes = [HasAPIKey]
