from __future__ import annotations

from django.urls import path

from webhooks import views

app_name = "webhooks"

_EP = "orgs/<slug:slug>/webhooks/<str:endpoint_id>"

urlpatterns = [
    path("orgs/<slug:slug>/webhooks/", views.endpoint_list, name="list"),
    path("orgs/<slug:slug>/webhooks/new", views.endpoint_create, name="create"),
    path("orgs/<slug:slug>/webhooks/event-types/", views.event_catalogue, name="catalogue"),
    path(f"{_EP}/", views.endpoint_detail, name="detail"),
    path(f"{_EP}/edit", views.endpoint_edit, name="edit"),
    path(f"{_EP}/delete", views.endpoint_delete, name="delete"),
    path(f"{_EP}/secret", views.endpoint_secret, name="secret"),
    path(f"{_EP}/rotate", views.endpoint_rotate, name="rotate"),
    path(f"{_EP}/test", views.endpoint_test, name="test"),
    path(f"{_EP}/disable", views.endpoint_disable, name="disable"),
    path(f"{_EP}/enable", views.endpoint_enable, name="enable"),
    path(f"{_EP}/recover", views.endpoint_recover, name="recover"),
    path(f"{_EP}/deliveries/<str:message_id>/", views.delivery_detail, name="delivery"),
    path(f"{_EP}/deliveries/<str:message_id>/retry", views.delivery_retry, name="retry"),
]
