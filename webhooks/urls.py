from __future__ import annotations

from django.urls import path

from accounts.portal import team_paths
from webhooks import views

app_name = "webhooks"

_EP = "orgs/<slug:slug>/webhooks/<str:endpoint_id>"
_ACTIONS = ("delete", "secret", "rotate", "test", "disable", "enable", "recover")

urlpatterns = [
    # Before the endpoints' own pages: "event-types" would read as an endpoint id.
    path("orgs/<slug:slug>/webhooks/event-types/", views.event_catalogue, name="catalogue"),
    *team_paths(views, "endpoint", "webhooks", "endpoint_id", pages=("list", "create", "detail", "edit", *_ACTIONS)),
    path(f"{_EP}/deliveries/<str:message_id>/", views.delivery_detail, name="delivery"),
    path(f"{_EP}/deliveries/<str:message_id>/retry", views.delivery_retry, name="retry"),
]
