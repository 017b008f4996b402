"""Top-level URLs: portal, admin, API, OpenAPI docs and health probes."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView

from config import health
from config.metrics import metrics_view
from oauth.endpoints import ServerMetadataView

handler400 = "config.api_errors.json_or_html_400"
handler404 = "config.api_errors.json_or_html_404"
handler500 = "config.api_errors.json_or_html_500"

admin.site.site_header = "Keyhouse administration"
admin.site.site_title = "Keyhouse admin"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/webhooks/", include("webhooks.api_urls")),
    path("api/v1/", include("keys.api_urls")),
    path("api/v1/", include("monitoring.api_urls")),
    path("api/v1/oauth/", include("oauth.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI from vendored files with a static init script (templates/api/docs.html): no inline
    # script or style, so the strict CSP stays as it is everywhere else.
    path(
        "api/docs/",
        TemplateView.as_view(template_name="api/docs.html", extra_context={"title": f"{settings.SITE_NAME} API"}),
        name="api-docs",
    ),
    path("", include("accounts.urls")),
    path("", include("keys.urls")),
    path("", include("monitoring.urls")),
    path("", include("webhooks.urls")),
    # OAuth 2.0 / OIDC (django-oauth-toolkit with our overrides) and the portal pages for apps.
    path("o/", include("oauth.provider_urls")),
    path(".well-known/oauth-authorization-server", ServerMetadataView.as_view(), name="oauth-server-metadata"),
    path(".well-known/oauth-authorization-server/o", ServerMetadataView.as_view()),
    path("", include("oauth.urls")),
]
