from __future__ import annotations

from django.urls import path

from webhooks import api

app_name = "webhooks_api"

_EP = "endpoints/<str:endpoint_id>"

urlpatterns = [
    path("event-types/", api.EventTypeList.as_view(), name="event_types"),
    path("endpoints/", api.EndpointListCreate.as_view(), name="endpoint_list"),
    path(_EP, api.EndpointDetail.as_view(), name="endpoint_detail"),
    path(f"{_EP}/secret", api.EndpointSecret.as_view(), name="endpoint_secret"),
    path(f"{_EP}/secret/rotate", api.EndpointSecretRotate.as_view(), name="endpoint_secret_rotate"),
    path(f"{_EP}/test", api.EndpointTest.as_view(), name="endpoint_test"),
    path(f"{_EP}/disable", api.EndpointDisable.as_view(), name="endpoint_disable"),
    path(f"{_EP}/enable", api.EndpointEnable.as_view(), name="endpoint_enable"),
    path(f"{_EP}/recover", api.EndpointRecover.as_view(), name="endpoint_recover"),
    path(f"{_EP}/deliveries/", api.DeliveryList.as_view(), name="delivery_list"),
    path(f"{_EP}/deliveries/<str:message_id>", api.DeliveryDetail.as_view(), name="delivery_detail"),
    path(f"{_EP}/deliveries/<str:message_id>/retry", api.DeliveryRetry.as_view(), name="delivery_retry"),
]
