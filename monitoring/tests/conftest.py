"""Monitoring's tests share the keys tests' fixtures: a webhook endpoint that stores every event, inline Celery."""

from __future__ import annotations

from keys.tests.conftest import eager_celery, hook

__all__ = ["eager_celery", "hook"]
