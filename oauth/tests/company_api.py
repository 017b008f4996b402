"""A stand-in for the company's API, protected by OAuth access tokens: how a customer wires it."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from keys.permissions import HasScopes
from keys.tests import company_api as with_api_keys
from keys.throttling import CredentialRateThrottle
from oauth.authentication import AccessTokenAuthentication


class Orders(with_api_keys.Orders):
    """keys/tests' stand-in resource (same scopes and throttle) behind OAuth access tokens instead of API keys."""

    authentication_classes = [AccessTokenAuthentication]

    def get(self, request: Request) -> Response:
        credential = request.auth
        return Response(
            {
                "organization": credential.organization.slug,
                "kind": credential.kind,
                "client_id": credential.client_id,
                "user": getattr(request.user, "email", None),
                "scopes": credential.scopes,
                "environment": credential.environment,
            }
        )


class AnyCredentialOrders(APIView):
    """The same resource behind every credential kind, in the project's order: the default classes
    (API key, signature, client certificate, session) first, then OAuth access tokens."""

    authentication_classes = [*api_settings.DEFAULT_AUTHENTICATION_CLASSES, AccessTokenAuthentication]
    permission_classes = [HasScopes]
    throttle_classes = [CredentialRateThrottle]
    required_scopes = ["orders:read"]

    def get(self, request: Request) -> Response:
        credential = request.auth
        return Response(
            {
                "kind": credential.kind,
                "organization": credential.organization.slug,
                "certificate_thumbprint": getattr(credential, "certificate_thumbprint", None),
            }
        )


urlpatterns = [
    path("orders", Orders.as_view()),
    path("any/orders", AnyCredentialOrders.as_view()),
    path("", include("config.urls")),
]
