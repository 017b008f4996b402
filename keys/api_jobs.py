"""The management API of the jobs: a key's rotation policy, and usage alerts (list, acknowledge, resolve).

Same access rules as /api/v1/keys/: credentials need `keys:read` to read and `keys:manage` to change;
people need the matching team role; outsiders get 404; live keys need sudo mode for session callers.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from keys.api import ManagementAccess, _conflict, caller_for
from keys.models import Alert, AlertKind, AlertStatus, RotationPolicy
from keys.selectors import key_for_org
from keys.selectors_jobs import alerts_for_org
from keys.services import anomalies, rotation
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


class AlertSerializer(serializers.ModelSerializer[Alert]):
    key = serializers.CharField(source="key_id", read_only=True)
    acknowledged_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="email", read_only=True
    )
    resolved_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="email", read_only=True)

    class Meta:
        model = Alert
        fields = (
            "id",
            "key",
            "kind",
            "subject",
            "status",
            "hour",
            "observed",
            "baseline",
            "threshold",
            "details",
            "occurrences",
            "first_seen_at",
            "last_seen_at",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
            "resolved_by",
        )


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


class AlertList(GenericAPIView[Alert]):
    """The team's usage alerts, newest activity first (unresolved by default)."""

    permission_classes = [ManagementAccess]
    required_scopes = {"GET": ["keys:read"]}
    serializer_class = AlertSerializer

    @extend_schema(
        operation_id="alerts_list",
        parameters=[
            OpenApiParameter("organization", str, description="Team slug (portal sessions only)"),
            OpenApiParameter("status", str, enum=["unresolved", "all", *AlertStatus.values]),
            OpenApiParameter("kind", str, enum=AlertKind.values),
        ],
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        wanted = params.get("status", "unresolved")
        if wanted not in ("unresolved", "all", *AlertStatus.values):
            raise serializers.ValidationError({"status": "One of unresolved, all, open, acknowledged, resolved."})
        kind = params.get("kind", "")
        if kind and kind not in AlertKind.values:
            raise serializers.ValidationError({"kind": f"One of {', '.join(AlertKind.values)}."})
        page = self.paginate_queryset(alerts_for_org(caller_for(request).organization, status=wanted, kind=kind))
        return self.get_paginated_response(AlertSerializer(page, many=True).data)


class _AlertAction(GenericAPIView[Alert]):
    permission_classes = [ManagementAccess]
    required_scopes = {"POST": ["keys:manage"]}
    serializer_class = AlertSerializer
    resolve = False

    @extend_schema(request=None, responses=AlertSerializer)
    def post(self, request: Request, alert_id: str) -> Response:
        caller = caller_for(request)
        if not alert_id.isdigit() or len(alert_id) > 18:
            raise Http404
        alert = Alert.objects.filter(organization=caller.organization, pk=int(alert_id)).first()
        if alert is None:
            raise Http404
        service = anomalies.alert_resolve if self.resolve else anomalies.alert_acknowledge
        try:
            alert = service(alert=alert, actor=caller.actor, request=request._request)
        except KeyConflict as exc:
            raise _conflict(exc) from exc
        return Response(AlertSerializer(alert).data)


class AlertAcknowledge(_AlertAction):
    """Mark an open alert as seen."""


class AlertResolve(_AlertAction):
    """Close an alert; the same anomaly raises a new one only after the cooldown."""

    resolve = True
