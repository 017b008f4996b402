"""The OAuth 2.0 / OIDC endpoints under /o/: DOT's views and our subclasses, in DOT's namespace.

DOT's own application-management and authorized-token pages are left out: the portal replaces
them (apps belong to organizations, and the pages follow our access rules).
"""

from __future__ import annotations

from django.urls import path, re_path
from oauth2_provider import views as dot_views

from oauth import endpoints

app_name = "oauth2_provider"

urlpatterns = [
    path("authorize/", endpoints.AuthorizationView.as_view(), name="authorize"),
    path("token/", endpoints.TokenView.as_view(), name="token"),
    path("revoke_token/", dot_views.RevokeTokenView.as_view(), name="revoke-token"),
    path("introspect/", endpoints.IntrospectView.as_view(), name="introspect"),
    path("device-authorization/", endpoints.DeviceAuthorizationView.as_view(), name="device-authorization"),
    path("userinfo/", dot_views.UserInfoView.as_view(), name="user-info"),
    re_path(
        r"^\.well-known/openid-configuration/?$", endpoints.DiscoveryView.as_view(), name="oidc-connect-discovery-info"
    ),
    path(".well-known/jwks.json", endpoints.JwksView.as_view(), name="jwks-info"),
    path(
        ".well-known/oauth-authorization-server", endpoints.ServerMetadataView.as_view(), name="oauth-server-metadata"
    ),
]
