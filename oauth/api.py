"""The JWT revocation list for resource servers that check access tokens offline (the client kit).

`POST /api/v1/oauth/jti-status` `{"jti": ["…"]}` answers which of them are revoked. A `jti` is a
random token id that only the token's holder knows, so the answer reveals nothing about anyone else;
the caller still needs a credential with `keys:verify`, like `POST /api/v1/verify`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from keys.permissions import HasScopes
from keys.throttling import CredentialRateThrottle, VerifyRateThrottle
from lib.http import validated
from oauth.tokens import is_revoked

MAX_JTIS = 100


class JtiStatusRequestSerializer(serializers.Serializer[Any]):
    jti = serializers.ListField(
        child=serializers.CharField(max_length=64, trim_whitespace=False),
        min_length=1,
        max_length=MAX_JTIS,
        help_text="The `jti` claims of the access tokens to check.",
    )


class JtiStatusResponseSerializer(serializers.Serializer[Any]):
    revoked = serializers.ListField(
        child=serializers.CharField(), help_text="Those of the asked `jti` that are revoked."
    )


class JtiStatus(APIView):
    """Which of these JWT access tokens were revoked before they expired. Needs `keys:verify`."""

    permission_classes = [HasScopes]
    required_scopes = ["keys:verify"]
    throttle_classes = [CredentialRateThrottle, VerifyRateThrottle]

    @extend_schema(request=JtiStatusRequestSerializer, responses=JtiStatusResponseSerializer)
    def post(self, request: Request) -> Response:
        asked: list[str] = validated(JtiStatusRequestSerializer, request)["jti"]
        response = Response({"revoked": [jti for jti in dict.fromkeys(asked) if is_revoked(jti)]})
        response["Cache-Control"] = "no-store"
        return response
