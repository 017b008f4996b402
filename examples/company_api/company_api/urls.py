from __future__ import annotations

from django.urls import path
from keyhouse_client.django_settings import keyhouse_webhook

from company_api import views

urlpatterns = [
    path("orders", views.OrderList.as_view()),
    path("healthz", views.Health.as_view()),
    # The platform's key.revoked / key.updated deliveries: they drop the cached verdicts at once.
    path("keyhouse/webhooks", keyhouse_webhook),
]
