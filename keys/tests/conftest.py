"""Fixtures of the keys tests: a webhook endpoint that stores every event, and inline Celery."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from webhooks.models import Endpoint
from webhooks.services import endpoint_create


@pytest.fixture
def hook(org: Any, alice: Any, settings: Any) -> Endpoint:
    """An endpoint of Alice's team subscribed to every event, so `publish` stores what it sends."""
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    settings.WEBHOOK_REQUIRE_HTTPS = False
    endpoint, _ = endpoint_create(organization=org, actor=alice, url="http://127.0.0.1:9/hook")
    return endpoint


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Tasks queued after commit run inline (transactional tests would otherwise reach for a broker)."""
    from config.celery_app import app

    before = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.CELERY_TASK_ALWAYS_EAGER = app.conf.CELERY_TASK_EAGER_PROPAGATES = True
    yield
    app.conf.CELERY_TASK_ALWAYS_EAGER, app.conf.CELERY_TASK_EAGER_PROPAGATES = before
