"""Portal URLs of usage alerts (their own namespace, so the sidebar can highlight them apart from API keys)."""

from __future__ import annotations

from django.urls import path

from monitoring import views

app_name = "alerts"

urlpatterns = [
    path("orgs/<slug:slug>/alerts/", views.alert_list, name="list"),
    path("orgs/<slug:slug>/alerts/<str:alert_id>/acknowledge", views.alert_acknowledge, name="acknowledge"),
    path("orgs/<slug:slug>/alerts/<str:alert_id>/resolve", views.alert_resolve, name="resolve"),
]
