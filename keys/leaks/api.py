"""The leak endpoints: public revoke, GitHub secret scanning and GitLab's Token Revocation API.

None of them takes a credential of ours: the public revoke is for whoever holds a credential, the other
two prove who is calling with GitHub's signature and GitLab's shared token. Each view reads the request
and makes one service call.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from keys.core.leaks import HolderRequest, holder_revoke
from keys.leaks import github, gitlab
from keys.leaks.services import scanner_report
from keys.throttling import PublicRevokeThrottle
from lib.http import validated
from lib.parsers import DepthLimitedJSONParser

# The one answer of the public revoke, whatever was sent: it must not tell a real credential from a made-up one.
REVOKE_ANSWER = {
    "status": "received",
    "message": "If this credential was issued here, it is revoked and no longer works.",
}


class Refused(exceptions.APIException):
    """401 for a caller that is not who the endpoint serves (bad signature, wrong shared token)."""

    status_code = 401

    def __init__(self, message: str, *, code: str, challenge: str) -> None:
        super().__init__(message)
        self.error_code = code
        self.extra_headers = {"WWW-Authenticate": challenge}


class PublicEndpoint(APIView):
    """No credential, no session (so no CSRF), JSON only: the same answer whatever the caller's browser sends."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]


class HolderRevokeSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(max_length=8192, help_text="The API key, signing secret or OAuth token to revoke.")
    key_id = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text="For a signing secret: its key id, `hs_live_…`."
    )
    token_type_hint = serializers.CharField(
        max_length=32, required=False, allow_blank=True, help_text="RFC 7009: `access_token` or `refresh_token`."
    )


class PublicRevoke(PublicEndpoint):
    """Revoke a credential you hold, with no account: an API key, a signing secret (with its key id) or an OAuth token.

    The answer is the same for a real, an unknown and an already-revoked credential.
    """

    parser_classes = [DepthLimitedJSONParser, FormParser]
    throttle_classes = [PublicRevokeThrottle]

    @extend_schema(
        request=HolderRevokeSerializer,
        responses={200: OpenApiResponse(description="Received; the same answer for every credential.")},
    )
    def post(self, request: Request) -> Response:
        holder_revoke(HolderRequest(**validated(HolderRevokeSerializer, request)), request=request._request)
        return Response(REVOKE_ANSWER)


_FEEDBACK = inline_serializer(
    "SecretScanningFeedback",
    {"token_hash": serializers.CharField(), "token_type": serializers.CharField(), "label": serializers.CharField()},
    many=True,
)


class GitHubSecretScanning(PublicEndpoint):
    """GitHub's secret scanning partner endpoint: signed reports of our keys found in public."""

    @extend_schema(
        request={"application/json": {"type": "array", "items": {"type": "object"}}},
        parameters=[
            OpenApiParameter("Github-Public-Key-Identifier", location="header", required=True),
            OpenApiParameter("Github-Public-Key-Signature", location="header", required=True),
        ],
        responses={200: _FEEDBACK},
    )
    def post(self, request: Request) -> Response:
        body = request._request.body  # the signature covers these exact bytes
        try:
            github.verify_signature(
                body,
                key_identifier=request.headers.get("Github-Public-Key-Identifier"),
                signature=request.headers.get("Github-Public-Key-Signature"),
            )
        except github.SignatureRefused as exc:
            raise Refused(
                str(exc), code="invalid_signature", challenge='Signature realm="github-secret-scanning"'
            ) from None
        reports = github.parse_reports(body)
        ours = scanner_report(
            matches=[(r.token, r.url) for r in reports], source=github.SOURCE, request=request._request
        )
        return Response(github.feedback(reports, ours))


def _gitlab_caller(request: Request) -> None:
    try:
        gitlab.check_token(request.headers.get("Authorization"))
    except gitlab.NotAuthorized as exc:
        raise Refused(
            str(exc), code="authentication_failed", challenge='Bearer realm="gitlab-token-revocation"'
        ) from None


class GitLabRevocableTypes(PublicEndpoint):
    """GitLab Token Revocation API: the token types this server revokes."""

    @extend_schema(responses={200: inline_serializer("RevocableTypes", {"types": serializers.ListField()})})
    def get(self, request: Request) -> Response:
        _gitlab_caller(request)
        return Response({"types": gitlab.token_types()})


class GitLabRevoke(PublicEndpoint):
    """GitLab Token Revocation API: revoke leaked tokens (each team's leak policy applies). Idempotent."""

    @extend_schema(
        request={"application/json": {"type": "array", "items": {"type": "object"}}},
        responses={204: OpenApiResponse(description="Accepted for revocation.")},
    )
    def post(self, request: Request) -> HttpResponse:
        _gitlab_caller(request)
        revocations = gitlab.parse_revocations(request._request.body)
        scanner_report(
            matches=[(r.token, r.location) for r in revocations], source=gitlab.SOURCE, request=request._request
        )
        return HttpResponse(status=204)
