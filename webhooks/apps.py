from __future__ import annotations

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core.checks import Tags, register

        from lib import crypto
        from webhooks.checks import check_webhook_settings
        from webhooks.models import EndpointSecret

        register(check_webhook_settings, "webhooks")
        # The keyring's check lives in lib (no app); webhooks is the lowest floor that stores ciphertexts.
        register(crypto.check_keyring, Tags.security)
        crypto.register_field(
            EndpointSecret, "ciphertext", purpose=EndpointSecret.ENCRYPTION_PURPOSE, row_id="endpoint_id"
        )
