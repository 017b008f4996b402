from __future__ import annotations

from django.apps import AppConfig


class KeysConfig(AppConfig):
    name = "keys"
    verbose_name = "API keys"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core.checks import register

        from keys import (
            departures,  # noqa: F401 - applies the departure policy to a leaver's credentials
            schema,  # noqa: F401 - registers the OpenAPI security schemes
        )
        from keys.apikeys import kind as api_key_kind  # noqa: F401 - registers the kinds, API keys first
        from keys.certificates import kind as certificate_kinds  # noqa: F401
        from keys.checks import check_key_settings, check_signing_and_mtls_settings
        from keys.signing import kind as signing_kind  # noqa: F401

        register(check_key_settings, "keys", deploy=False)
        register(check_signing_and_mtls_settings, "keys", deploy=False)

        from keys.checks import check_job_settings

        register(check_job_settings, "keys", deploy=False)

        from keys.apikeys import cache, invalidation
        from lib import metrics

        invalidation.connect()
        metrics.register_stats_provider("keys", cache.event_counts)
        from keys.apikeys import leaks as key_leaks
        from keys.core.leaks import register_holder_revoker
        from keys.signing import leaks as signing_leaks

        # The public revoke asks each kind in this order; oauth adds its tokens from its own ready().
        register_holder_revoker(signing_leaks.HOLDER_REVOKER)
        register_holder_revoker(key_leaks.HOLDER_REVOKER)

        from keys.models import SealedSecret, SigningSecret
        from lib import crypto

        for field in ("secret_encrypted", "previous_secret_encrypted"):
            crypto.register_field(SigningSecret, field, purpose=SigningSecret.ENCRYPTION_PURPOSE)
        crypto.register_field(SealedSecret, "ciphertext", purpose=SealedSecret.ENCRYPTION_PURPOSE, row_id="key_id")
