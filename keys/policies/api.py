"""The team's key-hygiene policy in the management API: `GET`/`PATCH /api/v1/policy` (docs/policies.md)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import caller_for
from keys.core.api import ManagementAccess
from keys.policies.models import POLICY_FIELDS, CredentialPolicy, policy_for
from keys.policies.services import credential_policy_update
from lib.http import validated


class CredentialPolicySerializer(serializers.ModelSerializer[CredentialPolicy]):
    organization: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = CredentialPolicy
        fields = ("organization", *POLICY_FIELDS, "updated_at")
        read_only_fields = fields


class CredentialPolicyInput(serializers.Serializer[Any]):
    """Only the fields sent change; the service validates the values (400 naming the field)."""

    max_lifetime_days = serializers.IntegerField(required=False, allow_null=True)
    max_age_days = serializers.IntegerField(required=False, allow_null=True)
    require_live_expiry = serializers.BooleanField(required=False)
    require_live_allowlist = serializers.BooleanField(required=False)
    role_scopes = serializers.JSONField(required=False)
    rotation_interval_days = serializers.IntegerField(required=False, allow_null=True)
    rotation_grace_hours = serializers.IntegerField(required=False)


class CredentialPolicyView(APIView):
    """Read the caller's team policy (`keys:read`, or any member); owners and admins change it (PATCH)."""

    permission_classes = [ManagementAccess]
    required_scopes = {"GET": ["keys:read"], "PATCH": ["keys:manage"]}

    @extend_schema(responses=CredentialPolicySerializer)
    def get(self, request: Request) -> Response:
        return Response(CredentialPolicySerializer(policy_for(caller_for(request).organization)).data)

    @extend_schema(request=CredentialPolicyInput, responses=CredentialPolicySerializer)
    def patch(self, request: Request) -> Response:
        caller = caller_for(request)
        fields = validated(CredentialPolicyInput, request, partial=True)
        policy = credential_policy_update(
            organization=caller.organization, actor=caller.actor, request=request._request, **fields
        )
        return Response(CredentialPolicySerializer(policy).data)
