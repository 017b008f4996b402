"""Fixtures: a real HTTP receiver on loopback, loopback-friendly settings, and an endpoint factory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from webhooks import services
from webhooks.tests.helpers import Receiver, running_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as rx:
        yield rx


@pytest.fixture(autouse=True)
def _webhook_settings(settings: Any) -> None:
    """Tests deliver to a receiver on 127.0.0.1 over plain http, which production refuses."""
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    settings.WEBHOOK_REQUIRE_HTTPS = False
    settings.WEBHOOK_RETRY_SCHEDULE = None


@pytest.fixture(autouse=True)
def _celery_eager(eager_celery: None) -> None:
    """Tasks queued on commit run inline here; the real-worker test (test_e2e_worker.py) turns this off."""


@pytest.fixture
def make_endpoint(org: Any, alice: Any, receiver: Receiver):  # type: ignore[no-untyped-def]
    """Register an endpoint of Alice's team at the receiver; returns (endpoint, secret)."""

    def make(**kwargs: Any):  # type: ignore[no-untyped-def]
        kwargs.setdefault("organization", org)
        kwargs.setdefault("actor", alice)
        kwargs.setdefault("url", receiver.url(kwargs.pop("path", "/hook")))
        return services.endpoint_create(**kwargs)

    return make
