from __future__ import annotations

from django.urls import path

from keys import views

app_name = "keys"

urlpatterns = [
    path("orgs/<slug:slug>/", views.dashboard, name="dashboard"),
    path("orgs/<slug:slug>/keys/", views.key_list, name="list"),
    path("orgs/<slug:slug>/keys/new", views.key_create, name="create"),
    path("orgs/<slug:slug>/keys/<str:key_id>/", views.key_detail, name="detail"),
    path("orgs/<slug:slug>/keys/<str:key_id>/edit", views.key_edit, name="edit"),
    path("orgs/<slug:slug>/keys/<str:key_id>/roll", views.key_roll, name="roll"),
    path("orgs/<slug:slug>/keys/<str:key_id>/revoke", views.key_revoke, name="revoke"),
    path("orgs/<slug:slug>/keys/<str:key_id>/disable", views.key_disable, name="disable"),
    path("orgs/<slug:slug>/keys/<str:key_id>/enable", views.key_enable, name="enable"),
]
