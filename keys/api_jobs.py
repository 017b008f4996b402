"""The management API of scheduled rotation: a key's rotation policy. (Usage alerts: monitoring/api.py.)

Same access rules as /api/v1/keys/: credentials need `keys:read` to read and `keys:manage` to change;
people need the matching team role; outsiders get 404; live keys need sudo mode for session callers.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from keys.api import ManagementAccess, _conflict, caller_for
from keys.models import RotationPolicy
from keys.selectors import key_for_org
from keys.services import rotation
from keys.services.errors import KeyConflict


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
        data = RotationPolicyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            policy = rotation.rotation_policy_set(
                key=key,
                actor=caller.actor,
                interval=timedelta(seconds=data.validated_data["interval_seconds"]),
                grace=timedelta(seconds=data.validated_data["grace_seconds"]),
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
