from __future__ import annotations

from django.urls import path

from oauth import api

app_name = "oauth_api"

urlpatterns = [
    path("jti-status", api.JtiStatus.as_view(), name="jti_status"),
]
