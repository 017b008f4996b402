"""The webhook management API (/api/v1/webhooks/…). Views translate HTTP into one service call.

Authentication comes from REST_FRAMEWORK's DEFAULT_AUTHENTICATION_CLASSES (API keys, portal
sessions). webhooks sits below keys, so it imports no credential class: a credential is anything
with `allows(scope)` and `organization` on `request.auth`, and it needs `webhooks:read` to read and
`webhooks:write` to change. People need the matching team role; outsiders get 404.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import Conflict, OrganizationAccess, ReauthenticationRequired, caller_for, require_sudo
from lib.http import NO_STORE, validated
from webhooks import catalogue, services
from webhooks.models import Delivery, Endpoint
from webhooks.selectors import deliveries_for_endpoint, delivery_for_endpoint, endpoint_for_org
from webhooks.serializers import (
    CountSerializer,
    CreatedEndpointSerializer,
    DeliveryDetailSerializer,
    DeliverySerializer,
    EndpointCreateSerializer,
    EndpointSerializer,
    EndpointUpdateSerializer,
    EventTypeSerializer,
    RecoverSerializer,
    RotateResultSerializer,
    RotateSerializer,
    SecretsSerializer,
    TestEventSerializer,
)
from webhooks.services import WebhookConflict

READ = "webhooks:read"
WRITE = "webhooks:write"
_ORG_PARAM = OpenApiParameter("organization", str, description="Team slug (portal sessions only)")


class WebhookAccess(OrganizationAccess):
    """Credentials need `webhooks:read` to read and `webhooks:write` to change; people need the matching role."""

    write_scope = WRITE
    viewer_message = "Viewers can see webhooks but not change them or see their secrets."


def _require_sudo(request: Request) -> None:
    try:
        require_sudo(request)
    except ReauthenticationRequired as exc:
        raise ReauthenticationRequired(
            "Confirm your password in the portal (sudo mode) before handling signing secrets."
        ) from exc


class EndpointView(APIView):
    permission_classes = [WebhookAccess]
    required_scopes: dict[str, list[str]] = {
        "GET": [READ],
        "POST": [WRITE],
        "PATCH": [WRITE],
        "DELETE": [WRITE],
    }

    def get_endpoint(self, request: Request, endpoint_id: str) -> Endpoint:
        return endpoint_for_org(caller_for(request).organization, endpoint_id)


class EndpointListCreate(GenericAPIView[Endpoint]):
    """List the team's webhook endpoints, or register one (the response carries its signing secret)."""

    permission_classes = [WebhookAccess]
    required_scopes = {"GET": [READ], "POST": [WRITE]}
    serializer_class = EndpointSerializer

    def get_queryset(self) -> Any:
        return Endpoint.objects.filter(organization=caller_for(self.request).organization).order_by("-created_at", "id")

    @extend_schema(operation_id="webhooks_endpoints_list", parameters=[_ORG_PARAM])
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(EndpointSerializer(page, many=True).data)

    @extend_schema(
        operation_id="webhooks_endpoints_create",
        request=EndpointCreateSerializer,
        responses={201: CreatedEndpointSerializer},
    )
    def post(self, request: Request) -> Response:
        fields = validated(EndpointCreateSerializer, request)
        _require_sudo(request)
        caller = caller_for(request)
        endpoint, secret = services.endpoint_create(
            organization=caller.organization, actor=caller.actor, request=request._request, **fields
        )
        body = CreatedEndpointSerializer(endpoint, context={"secret": secret}).data
        return Response(body, status=status.HTTP_201_CREATED, headers=NO_STORE)


class EndpointDetail(EndpointView):
    """Read an endpoint, change its URL, description or event types, or delete it with its delivery log."""

    @extend_schema(operation_id="webhooks_endpoints_retrieve", responses=EndpointSerializer)
    def get(self, request: Request, endpoint_id: str) -> Response:
        return Response(EndpointSerializer(self.get_endpoint(request, endpoint_id)).data)

    @extend_schema(
        operation_id="webhooks_endpoints_update", request=EndpointUpdateSerializer, responses=EndpointSerializer
    )
    def patch(self, request: Request, endpoint_id: str) -> Response:
        endpoint = self.get_endpoint(request, endpoint_id)
        fields = validated(EndpointUpdateSerializer, request, partial=True)
        endpoint = services.endpoint_update(
            endpoint=endpoint, actor=caller_for(request).actor, request=request._request, **fields
        )
        return Response(EndpointSerializer(endpoint).data)

    @extend_schema(operation_id="webhooks_endpoints_destroy", responses={204: None})
    def delete(self, request: Request, endpoint_id: str) -> Response:
        endpoint = self.get_endpoint(request, endpoint_id)
        services.endpoint_delete(endpoint=endpoint, actor=caller_for(request).actor, request=request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EndpointSecret(EndpointView):
    """Reveal the signing secrets that sign right now (current first). Needs `webhooks:write`; audited."""

    required_scopes = {"GET": [WRITE]}
    reads_need_write_role = True

    @extend_schema(operation_id="webhooks_endpoints_secret", responses=SecretsSerializer)
    def get(self, request: Request, endpoint_id: str) -> Response:
        endpoint = self.get_endpoint(request, endpoint_id)
        _require_sudo(request)
        revealed = services.endpoint_secret_reveal(
            endpoint=endpoint, actor=caller_for(request).actor, request=request._request
        )
        body = SecretsSerializer(
            {
                "secrets": [
                    {"secret": s.secret, "created_at": s.created_at, "expires_at": s.expires_at} for s in revealed
                ]
            }
        ).data
        return Response(body, headers=NO_STORE)


class EndpointSecretRotate(EndpointView):
    """Issue a new signing secret; the old ones keep signing beside it for `grace_seconds`."""

    @extend_schema(
        operation_id="webhooks_endpoints_secret_rotate", request=RotateSerializer, responses=RotateResultSerializer
    )
    def post(self, request: Request, endpoint_id: str) -> Response:
        endpoint = self.get_endpoint(request, endpoint_id)
        grace = timedelta(seconds=validated(RotateSerializer, request)["grace_seconds"])
        _require_sudo(request)
        secret, grace_until = services.endpoint_secret_rotate(
            endpoint=endpoint, actor=caller_for(request).actor, grace=grace, request=request._request
        )
        return Response(RotateResultSerializer({"secret": secret, "grace_until": grace_until}).data, headers=NO_STORE)


class EndpointTest(EndpointView):
    """Send a `webhook.test` event to this endpoint only."""

    @extend_schema(operation_id="webhooks_endpoints_test", request=None, responses={202: TestEventSerializer})
    def post(self, request: Request, endpoint_id: str) -> Response:
        endpoint = self.get_endpoint(request, endpoint_id)
        try:
            message = services.endpoint_send_test(
                endpoint=endpoint, actor=caller_for(request).actor, request=request._request
            )
        except WebhookConflict as exc:
            raise Conflict(str(exc)) from exc
        return Response({"message_id": message.id}, status=status.HTTP_202_ACCEPTED)


class EndpointSwitch(EndpointView):
    """Turn the endpoint off or on through `switch` (one service call), answering with the endpoint."""

    switch: Callable[..., Endpoint]

    def post(self, request: Request, endpoint_id: str) -> Response:
        endpoint = self.get_endpoint(request, endpoint_id)
        endpoint = type(self).switch(endpoint=endpoint, actor=caller_for(request).actor, request=request._request)
        return Response(EndpointSerializer(endpoint).data)


@extend_schema_view(
    post=extend_schema(operation_id="webhooks_endpoints_disable", request=None, responses=EndpointSerializer)
)
class EndpointDisable(EndpointSwitch):
    """Stop sending events to the endpoint; its pending deliveries become failed."""

    switch = staticmethod(services.endpoint_disable)


@extend_schema_view(
    post=extend_schema(operation_id="webhooks_endpoints_enable", request=None, responses=EndpointSerializer)
)
class EndpointEnable(EndpointSwitch):
    """Send new events to the endpoint again."""

    switch = staticmethod(services.endpoint_enable)


class EndpointRecover(EndpointView):
    """Send again every failed message created since `since`, each with a fresh retry schedule."""

    @extend_schema(operation_id="webhooks_endpoints_recover", request=RecoverSerializer, responses=CountSerializer)
    def post(self, request: Request, endpoint_id: str) -> Response:
        endpoint = self.get_endpoint(request, endpoint_id)
        since = validated(RecoverSerializer, request)["since"]
        try:
            count = services.deliveries_recover(
                endpoint=endpoint, actor=caller_for(request).actor, since=since, request=request._request
            )
        except WebhookConflict as exc:
            raise Conflict(str(exc)) from exc
        return Response({"count": count})


class DeliveryList(GenericAPIView[Delivery]):
    """The endpoint's delivery log: one row per message, newest first."""

    permission_classes = [WebhookAccess]
    required_scopes = {"GET": [READ]}
    serializer_class = DeliverySerializer

    def get_queryset(self) -> Any:
        endpoint = endpoint_for_org(caller_for(self.request).organization, self.kwargs["endpoint_id"])
        params = self.request.query_params
        return deliveries_for_endpoint(
            endpoint, status=params.get("status", "")[:16], event_type=params.get("event_type", "")[:64]
        )

    @extend_schema(
        operation_id="webhooks_deliveries_list",
        parameters=[
            _ORG_PARAM,
            OpenApiParameter("status", str, enum=["pending", "retrying", "succeeded", "failed"]),
            OpenApiParameter("event_type", str),
        ],
    )
    def get(self, request: Request, endpoint_id: str) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)


class DeliveryDetail(EndpointView):
    """One message's delivery to the endpoint, with its payload and every attempt."""

    @extend_schema(operation_id="webhooks_deliveries_retrieve", responses=DeliveryDetailSerializer)
    def get(self, request: Request, endpoint_id: str, message_id: str) -> Response:
        delivery = delivery_for_endpoint(self.get_endpoint(request, endpoint_id), message_id)
        return Response(DeliveryDetailSerializer(delivery).data)


class DeliveryRetry(EndpointView):
    """Send the message to the endpoint again now (also after a success), restarting the retry schedule."""

    @extend_schema(operation_id="webhooks_deliveries_retry", request=None, responses={202: DeliverySerializer})
    def post(self, request: Request, endpoint_id: str, message_id: str) -> Response:
        delivery = delivery_for_endpoint(self.get_endpoint(request, endpoint_id), message_id)
        try:
            delivery = services.delivery_retry(
                delivery=delivery, actor=caller_for(request).actor, request=request._request
            )
        except WebhookConflict as exc:
            raise Conflict(str(exc)) from exc
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class EventTypeList(APIView):
    """The event catalogue: every event type with a description and an example body."""

    permission_classes = [WebhookAccess]
    required_scopes = {"GET": [READ]}

    @extend_schema(operation_id="webhooks_event_types_list", responses=EventTypeSerializer(many=True))
    def get(self, request: Request) -> Response:
        caller_for(request)  # outsiders (no team at all) get 404 like everywhere else
        return Response(EventTypeSerializer(catalogue.event_types(), many=True).data)
