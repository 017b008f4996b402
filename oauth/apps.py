from __future__ import annotations

from django.apps import AppConfig


class OAuthConfig(AppConfig):
    name = "oauth"
    label = "oauth"
    verbose_name = "OAuth apps"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core.checks import register

        from keys.core.leaks import register_holder_revoker
        from oauth import (
            departures,  # noqa: F401 - revokes a leaver's tokens
            receivers,  # noqa: F401 - connects the revocation-list receiver
            schema,  # noqa: F401 - registers the OpenAPI security scheme
        )
        from oauth.checks import check_oauth_settings
        from oauth.leaks import HOLDER_REVOKER

        register(check_oauth_settings, "oauth")
        # After keys' own kinds (keys is installed first): OAuth takes the tokens no API key format claims.
        register_holder_revoker(HOLDER_REVOKER)
