"""The management API (/api/v1/keys/…), whoami and verify. Views translate HTTP into one service call."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.http import Http404
from django.utils.module_loading import import_string
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.api import caller_for
from accounts.selectors import default_organization
from audit.services import client_ip
from keys import services
from keys.apikeys import rotation, tokens
from keys.apikeys.selectors import key_for_org, keys_for_org
from keys.apikeys.serializers import (
    APIKeySerializer,
    CreatedKeySerializer,
    KeyCreateSerializer,
    KeyRevokeSerializer,
    KeyRollResultSerializer,
    KeyRollSerializer,
    KeyUpdateSerializer,
    VerifyRequestSerializer,
    VerifyResponseSerializer,
    WhoAmISerializer,
)
from keys.apikeys.verification import Code
from keys.core.api import (
    CredentialDetail,
    CredentialListCreate,
    CredentialObjectView,
    CredentialRevoke,
    CredentialRotate,
    ManagementAccess,
    _conflict,
)
from keys.core.errors import KeyConflict
from keys.models import APIKey, RotationPolicy
from keys.permissions import HasScopes
from keys.throttling import CredentialRateThrottle, VerifyRateThrottle
from lib.http import NO_STORE, validated
from lib.ratelimit import hit


@extend_schema_view(
    get=extend_schema(
        operation_id="keys_list",
        parameters=[
            OpenApiParameter("organization", str, description="Team slug (portal sessions only)"),
            OpenApiParameter("search", str),
            OpenApiParameter("status", str, enum=["active", "expired", "disabled", "revoked"]),
            OpenApiParameter("environment", str, enum=["live", "test"]),
        ],
    ),
    post=extend_schema(operation_id="keys_create", request=KeyCreateSerializer, responses={201: CreatedKeySerializer}),
)
class KeyListCreate(CredentialListCreate):
    """List the organization's keys, or create one (the response is the only time its secret is shown)."""

    required_scopes = {"GET": ["keys:read"], "POST": ["keys:manage"]}
    serializer_class = APIKeySerializer
    list_query = keys_for_org
    input_serializer = KeyCreateSerializer

    def create(self, caller: Any, fields: dict[str, Any], request: Request) -> Response:
        key, plaintext = services.key_create(
            organization=caller.organization, actor=caller.actor, request=request._request, **fields
        )
        body = CreatedKeySerializer(key, context={"plaintext": plaintext}).data
        return Response(body, status=status.HTTP_201_CREATED, headers=NO_STORE)


class KeyObjectView(CredentialObjectView):
    url_kwarg = "key_id"
    ident_length = 8
    lookup = key_for_org
    serializer = APIKeySerializer
    target = "key"


@extend_schema_view(
    get=extend_schema(responses=APIKeySerializer),
    patch=extend_schema(request=KeyUpdateSerializer, responses=APIKeySerializer),
)
class KeyDetail(KeyObjectView, CredentialDetail):
    """Read one key, or change its name, networks, expiry, limit or metadata, or narrow its scopes."""

    update = services.key_update


@extend_schema_view(post=extend_schema(request=KeyRollSerializer, responses=KeyRollResultSerializer))
class KeyRoll(KeyObjectView, CredentialRotate):
    """Replace the key with a successor; the old key keeps working for `grace_seconds`."""

    rotate = services.key_roll
    grace_serializer = KeyRollSerializer

    def answer(self, credential: Any, rotated: Any, plaintext: str) -> dict[str, Any]:
        credential.refresh_from_db()
        return {
            "key": plaintext,
            "successor": APIKeySerializer(rotated).data,
            "previous": APIKeySerializer(credential).data,
        }


@extend_schema_view(post=extend_schema(request=KeyRevokeSerializer, responses=APIKeySerializer))
class KeyRevoke(KeyObjectView, CredentialRevoke):
    """Revoke the key now. The very next request with it fails."""

    revoke = services.key_revoke


class KeyStateChange(KeyObjectView):
    """Base of the bodiless state changes of a key: one call of the `change(key=, actor=, request=)` service."""

    change: ClassVar[Callable[..., APIKey]]

    @extend_schema(request=None, responses=APIKeySerializer)
    def post(self, request: Request, key_id: str) -> Response:
        key = self.get_credential(request, key_id=key_id)
        try:
            key = type(self).change(key=key, actor=caller_for(request).actor, request=request._request)
        except KeyConflict as exc:
            raise _conflict(exc) from exc
        return self.render(key)


class KeyDisable(KeyStateChange):
    """Suspend the key until it is enabled again."""

    change = services.key_disable


class KeyEnable(KeyStateChange):
    """Resume a disabled key."""

    change = services.key_enable


def _any_credential_authentication() -> list[Any]:
    """Every credential kind: the default classes plus those of higher apps named in settings (OAuth tokens)."""
    classes = list(api_settings.DEFAULT_AUTHENTICATION_CLASSES)
    return [*classes, *(import_string(path) for path in settings.EXTRA_WHOAMI_AUTHENTICATION_CLASSES)]


class WhoAmI(APIView):
    """Describe the credential (or signed-in person) making this request."""

    authentication_classes = _any_credential_authentication()

    @extend_schema(responses=WhoAmISerializer)
    def get(self, request: Request) -> Response:
        credential: Any = request.auth
        user: Any = request.user
        if credential is not None and hasattr(credential, "kind"):
            body = {
                "type": credential.kind,
                "id": str(credential.id),
                "organization": credential.organization.slug,
                "environment": getattr(credential, "environment", None),
                "scopes": list(credential.scopes),
                "expires_at": credential.ends_at if hasattr(credential, "ends_at") else credential.expires_at,
            }
        else:
            org = default_organization(user, request.session.get("org"))
            body = {
                "type": "user",
                "id": str(user.pk),
                "organization": org.slug if org else None,
                "environment": None,
                "scopes": [],
                "expires_at": None,
            }
        return Response(WhoAmISerializer(body).data)


# Answers that mean the secret did not match (or was never a key): what a brute force produces. The
# other failures (REVOKED, EXPIRED, ...) need the right secret, so they are not guesses.
GUESSES = frozenset({Code.NOT_FOUND, Code.MALFORMED})


def _count_guess(request: Request, raw: str) -> None:
    """Count a failed key in a verify body per calling IP and per key id, as the authentication classes
    count failed keys on a request; past either limit the verify call itself is answered 429."""
    ip = client_ip(request)
    parsed = tokens.parse(raw, prefix=settings.KEYS_PREFIX)
    windows = []
    if ip:
        windows.append(hit(f"bf:verify-ip:{ip}", settings.VERIFY_FAILURES_PER_IP_PER_MINUTE))
    if parsed is not None:
        # The same counter as failed keys on requests: guesses at one key id add up wherever they come in.
        windows.append(hit(f"bf:key:{parsed.key_id}", settings.KEYS_FAILURES_PER_KEY_PER_MINUTE))
    exceeded = next((window for window in windows if not window.allowed), None)
    if exceeded is not None:
        # The answer keys.authentication.TooManyFailures gives (not imported: authentication sits on apikeys).
        exc = exceptions.Throttled(wait=exceeded.reset)
        exc.error_code = "too_many_failures"  # type: ignore[attr-defined]
        exc.extra_headers = exceeded.headers()  # type: ignore[attr-defined]
        raise exc


class Verify(APIView):
    """Verify a key for a service that is not Django. Needs a credential with `keys:verify`."""

    permission_classes = [HasScopes]
    required_scopes = ["keys:verify"]
    throttle_classes = [CredentialRateThrottle, VerifyRateThrottle]

    @extend_schema(request=VerifyRequestSerializer, responses=VerifyResponseSerializer)
    def post(self, request: Request) -> Response:
        data = validated(VerifyRequestSerializer, request)
        credential: Any = request.auth
        verdict = services.key_verify(
            raw=data["key"], organization_id=credential.organization.pk, ip=data["ip"], scopes=data["scopes"]
        )
        if verdict.code in GUESSES:
            _count_guess(request, data["key"])
        key = verdict.key
        body: dict[str, Any] = {
            "valid": verdict.valid,
            "code": verdict.code.value,
            "key_id": key.id if key else None,
            "organization": key.organization.slug if key else None,
            "environment": key.environment if key else None,
            "scopes": list(key.scopes) if key else [],
            "expires_at": key.ends_at if key else None,
            "ratelimit": verdict.ratelimit.as_dict() if verdict.ratelimit else None,
        }
        if verdict.missing_scopes:
            body["missing_scopes"] = verdict.missing_scopes
        return Response(VerifyResponseSerializer(body).data)


class RotationPolicySerializer(serializers.ModelSerializer[RotationPolicy]):
    key = serializers.CharField(source="key_id", read_only=True)
    interval_seconds = serializers.SerializerMethodField()
    grace_seconds = serializers.SerializerMethodField()

    class Meta:
        model = RotationPolicy
        fields = (
            "key",
            "interval_seconds",
            "grace_seconds",
            "enabled",
            "next_rotation_at",
            "last_rotated_at",
            "rotations",
            "last_error",
        )

    def get_interval_seconds(self, obj: RotationPolicy) -> int:
        return int(obj.interval.total_seconds())

    def get_grace_seconds(self, obj: RotationPolicy) -> int:
        return int(obj.grace.total_seconds())


class RotationPolicyInputSerializer(serializers.Serializer[Any]):
    interval_seconds = serializers.IntegerField(min_value=60, max_value=3650 * 86400)
    grace_seconds = serializers.IntegerField(min_value=60, max_value=30 * 86400)


class KeyRotationPolicy(GenericAPIView[RotationPolicy]):
    """A key's scheduled rotation: read it, set it (PUT), or stop it (DELETE)."""

    permission_classes = [ManagementAccess]
    required_scopes = {"GET": ["keys:read"], "PUT": ["keys:manage"], "DELETE": ["keys:manage"]}
    serializer_class = RotationPolicySerializer

    @extend_schema(responses=RotationPolicySerializer)
    def get(self, request: Request, key_id: str) -> Response:
        key = key_for_org(caller_for(request).organization, key_id[:8])
        policy = RotationPolicy.objects.filter(key=key).first()
        if policy is None:
            raise Http404("This key has no rotation policy.")
        return Response(RotationPolicySerializer(policy).data)

    @extend_schema(request=RotationPolicyInputSerializer, responses=RotationPolicySerializer)
    def put(self, request: Request, key_id: str) -> Response:
        caller = caller_for(request)
        key = key_for_org(caller.organization, key_id[:8])
        data = validated(RotationPolicyInputSerializer, request)
        try:
            policy = rotation.rotation_policy_set(
                key=key,
                actor=caller.actor,
                interval=timedelta(seconds=data["interval_seconds"]),
                grace=timedelta(seconds=data["grace_seconds"]),
                request=request._request,
            )
        except KeyConflict as exc:
            raise _conflict(exc) from exc
        return Response(RotationPolicySerializer(policy).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, key_id: str) -> Response:
        caller = caller_for(request)
        key = key_for_org(caller.organization, key_id[:8])
        rotation.rotation_policy_clear(key=key, actor=caller.actor, request=request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)
