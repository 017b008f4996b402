"""URLs of the benchmark server (ROOT_URLCONF of bench.settings)."""

from __future__ import annotations

from django.urls import path

from bench.views import HasAPIKeyView, OpenView, OursView

urlpatterns = [
    path("bench/open", OpenView.as_view()),
    path("bench/ours", OursView.as_view()),
    path("bench/hasapikey", HasAPIKeyView.as_view()),
]
