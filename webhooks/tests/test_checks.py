"""Webhook settings mistakes are system checks (the encryption keyring's own are lib.E001/E002)."""

from __future__ import annotations

from webhooks.checks import check_webhook_settings


def test_loopback_outside_debug_is_w001_and_a_bad_network_is_e003(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DEBUG = False
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    assert [p.id for p in check_webhook_settings()] == ["webhooks.W001"]
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    settings.WEBHOOK_ALLOWED_NETWORKS = ["10.1.0.0/16", "nonsense"]
    assert [p.id for p in check_webhook_settings()] == ["webhooks.E003"]
