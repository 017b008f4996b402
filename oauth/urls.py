from __future__ import annotations

from django.urls import path

from accounts.portal import team_paths
from oauth import views

app_name = "oauth"

urlpatterns = [
    *team_paths(
        views, "app", "apps", "client_id", pages=("list", "create", "detail", "edit", "rotate-secret", "delete")
    ),
    path("account/authorized-apps/", views.authorized_apps, name="authorized_apps"),
    path("account/authorized-apps/<str:client_id>/revoke", views.authorized_app_revoke, name="authorized_app_revoke"),
    path("device", views.device, name="device"),
]
