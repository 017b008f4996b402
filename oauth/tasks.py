"""Celery tasks for OAuth. Thin: each calls one function."""

from __future__ import annotations

from celery import shared_task
from oauth2_provider.models import clear_expired

from oauth.services import redeemed_codes_prune


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=60, max_retries=3)
def clear_expired_tokens() -> None:
    """Hourly: DOT's `cleartokens` (expired access tokens, dead refresh tokens, old codes), and redeemed codes past use. Idempotent."""
    clear_expired()
    redeemed_codes_prune()
