"""A stand-in for the company's API: how a customer wires our DRF classes into their own views."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from keys.authentication import APIKeyAuthentication
from keys.permissions import HasScopes
from keys.throttling import CredentialRateThrottle


class Orders(APIView):
    authentication_classes = [APIKeyAuthentication]
    permission_classes = [HasScopes]
    throttle_classes = [CredentialRateThrottle]
    required_scopes = {"GET": ["orders:read"], "POST": ["orders:write"]}

    def get(self, request: Request) -> Response:
        return Response({"orders": [], "organization": request.auth.organization.slug})

    def post(self, request: Request) -> Response:
        return Response({"created": True}, status=201)


urlpatterns = [
    path("orders", Orders.as_view()),
    path("", include("config.urls")),
]
