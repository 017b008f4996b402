from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and teams"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import outbox, services, sessions  # noqa: F401 - sessions connects the login receivers
        from accounts.models import TOTPDevice
        from lib import crypto

        crypto.register_field(TOTPDevice, "seed_ciphertext", purpose=TOTPDevice.ENCRYPTION_PURPOSE, row_id="user_id")

        # Links that carry a secret are made when the email is sent, never stored (accounts/outbox.py).
        outbox.register_send_context("invitation", services.invitation_email_context)
        outbox.register_send_context("password_reset", services.password_reset_email_context)
