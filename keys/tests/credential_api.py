"""A stand-in for the company's API wired with the other credential kinds (docs/signing.md, docs/mtls.md)."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from keys.authentication import ClientCertificateAuthentication, SignedAPIKeyAuthentication, SignedRequestAuthentication
from keys.permissions import HasScopes
from keys.throttling import CredentialRateThrottle


class Orders(APIView):
    """Signed requests only: the signing secret is the credential."""

    authentication_classes = [SignedRequestAuthentication]
    permission_classes = [HasScopes]
    throttle_classes = [CredentialRateThrottle]
    required_scopes = {"GET": ["orders:read"], "POST": ["orders:write"], "PUT": ["orders:write"]}

    def get(self, request: Request) -> Response:
        return Response(_describe(request))

    def post(self, request: Request) -> Response:
        return Response({**_describe(request), "received": request.data}, status=201)

    put = post


class KeyAndSignatureOrders(Orders):
    """API key + HMAC: the key identifies the caller, the signature proves the request intact."""

    authentication_classes = [SignedAPIKeyAuthentication]


class CertificateOrders(Orders):
    """mTLS: the client certificate forwarded by the trusted proxy is the credential."""

    authentication_classes = [ClientCertificateAuthentication]


def _describe(request: Request) -> dict[str, object]:
    credential = request.auth
    signer = getattr(request._request, "signing_secret", None)
    return {
        "kind": credential.kind,
        "id": credential.id,
        "organization": credential.organization.slug,
        "signed_by": signer.key_id if signer is not None else None,
    }


urlpatterns = [
    path("orders", Orders.as_view()),
    path("key-and-signature/orders", KeyAndSignatureOrders.as_view()),
    path("mtls/orders", CertificateOrders.as_view()),
    path("", include("config.urls")),
]
