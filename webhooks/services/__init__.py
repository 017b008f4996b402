"""Webhook services: the only place that changes endpoints, secrets, messages and deliveries."""

from __future__ import annotations

from webhooks.services.delivery import (
    deliveries_due,
    deliveries_prune,
    deliveries_recover,
    deliveries_run_due,
    delivery_attempt,
    delivery_retry,
)
from webhooks.services.endpoints import (
    RevealedSecret,
    endpoint_create,
    endpoint_delete,
    endpoint_disable,
    endpoint_enable,
    endpoint_secret_reveal,
    endpoint_secret_rotate,
    endpoint_send_test,
    endpoint_update,
)
from webhooks.services.errors import PayloadError, WebhookConflict
from webhooks.services.events import publish

__all__ = [
    "PayloadError",
    "RevealedSecret",
    "WebhookConflict",
    "deliveries_due",
    "deliveries_prune",
    "deliveries_recover",
    "deliveries_run_due",
    "delivery_attempt",
    "delivery_retry",
    "endpoint_create",
    "endpoint_delete",
    "endpoint_disable",
    "endpoint_enable",
    "endpoint_secret_reveal",
    "endpoint_secret_rotate",
    "endpoint_send_test",
    "endpoint_update",
    "publish",
]
