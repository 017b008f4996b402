from __future__ import annotations

from django.urls import path

from oauth import views

app_name = "oauth"

urlpatterns = [
    path("orgs/<slug:slug>/apps/", views.app_list, name="list"),
    path("orgs/<slug:slug>/apps/new", views.app_create, name="create"),
    path("orgs/<slug:slug>/apps/<str:client_id>/", views.app_detail, name="detail"),
    path("orgs/<slug:slug>/apps/<str:client_id>/edit", views.app_edit, name="edit"),
    path("orgs/<slug:slug>/apps/<str:client_id>/rotate-secret", views.app_rotate_secret, name="rotate_secret"),
    path("orgs/<slug:slug>/apps/<str:client_id>/delete", views.app_delete, name="delete"),
    path("account/authorized-apps/", views.authorized_apps, name="authorized_apps"),
    path("account/authorized-apps/<str:client_id>/revoke", views.authorized_app_revoke, name="authorized_app_revoke"),
    path("device", views.device, name="device"),
]
