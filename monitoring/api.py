"""The management API of usage alerts: list, acknowledge, resolve (/api/v1/alerts/, paths unchanged by the move).

Same access rules as /api/v1/keys/: credentials need `keys:read` to read and `keys:manage` to change;
people need the matching team role; outsiders get 404.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api import caller_for
from keys.core.api import ManagementAccess, _conflict
from keys.core.errors import KeyConflict
from monitoring.models import Alert, AlertKind, AlertStatus
from monitoring.selectors import alert_for_org, alerts_for_org
from monitoring.services import alerts


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
        alert = alert_for_org(caller.organization, alert_id)
        service = alerts.alert_resolve if self.resolve else alerts.alert_acknowledge
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
