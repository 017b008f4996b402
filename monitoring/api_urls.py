"""API URLs of usage alerts, mounted under /api/v1/ next to keys' (the paths did not change with the move)."""

from __future__ import annotations

from django.urls import path

from monitoring import api

app_name = "monitoring_api"

urlpatterns = [
    path("alerts/", api.AlertList.as_view(), name="alert_list"),
    path("alerts/<str:alert_id>/acknowledge", api.AlertAcknowledge.as_view(), name="alert_acknowledge"),
    path("alerts/<str:alert_id>/resolve", api.AlertResolve.as_view(), name="alert_resolve"),
]
