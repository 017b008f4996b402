"""A webhook endpoint in Chromium with a real Celery worker: send a test event and watch the delivery page
and the delivery log turn from Pending to Succeeded without a reload (static live.js polling)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection
from playwright.sync_api import Page, expect

from browser_tests.conftest import shoot
from browser_tests.portal import log_in
from lib.tests.celery_worker import celery_worker
from webhooks import services
from webhooks.tests.helpers import Receiver, Reply, running_receiver

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as rx:
        yield rx


@pytest.fixture
def worker(live_server: Any, tmp_path: Path, settings: Any) -> Iterator[Path]:
    if not django_settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.skip("needs REDIS_URL and PostgreSQL (runs in CI)")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    settings.WEBHOOK_REQUIRE_HTTPS = False
    log = tmp_path / "worker.log"
    env = {"WEBHOOK_ALLOW_LOOPBACK": "1", "WEBHOOK_REQUIRE_HTTPS": "0"}
    with celery_worker(env=env, log=log):
        yield log


def test_a_test_event_shows_up_delivered_without_a_reload(
    page: Page, worker: Path, receiver: Receiver, alice: Any, org: Any
) -> None:
    endpoint, _ = services.endpoint_create(organization=org, actor=alice, url=receiver.url("/hook"), event_types=[])
    log_in(page, alice.email)
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)

    # The receiver holds its answer until the page has shown the delivery as pending.
    held = threading.Event()
    receiver.script["/hook"].append(Reply(hold=held))
    page.goto(f"/orgs/{org.slug}/webhooks/{endpoint.id}/")
    page.get_by_role("button", name="Send test event").click()
    expect(page.get_by_text("This page updates as it is delivered")).to_be_visible()
    expect(page.locator("#delivery-body").get_by_text("Pending")).to_be_visible()
    navigations.clear()
    held.set()
    expect(page.locator("#delivery-body").get_by_text("Succeeded")).to_be_visible(timeout=30_000)
    expect(page.locator("#delivery-body").get_by_text("HTTP 200")).to_be_visible()
    assert navigations == []  # the page updated itself; nobody reloaded it
    shoot(page, "webhook-delivery")

    # The same on the endpoint's delivery log.
    held = threading.Event()
    receiver.script["/hook"].append(Reply(hold=held))
    page.goto(f"/orgs/{org.slug}/webhooks/{endpoint.id}/")
    page.get_by_role("button", name="Send test event").click()
    page.goto(f"/orgs/{org.slug}/webhooks/{endpoint.id}/")
    expect(page.locator("#delivery-log .badge", has_text="Pending")).to_have_count(1)
    navigations.clear()
    held.set()
    expect(page.locator("#delivery-log .badge", has_text="Pending")).to_have_count(0, timeout=30_000)
    expect(page.locator("#delivery-log .badge", has_text="Succeeded")).to_have_count(2)
    assert navigations == []
