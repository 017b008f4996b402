"""End to end: a real Celery worker with embedded beat, on Redis and PostgreSQL, rotates a due key, sends
the expiry notice and the rotation emails (to files), and delivers the events to a webhook receiver.

The worker runs `celery -A config worker -B` in a subprocess against pytest-django's test database
(this test commits: transactional_db) and the Redis broker, with `monitoring.tests.e2e_settings` (the key
jobs every 2 s) and Django's file email backend writing into a temporary folder.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from keys.apikeys.rotation import rotation_policy_set
from keys.models import APIKey, RotationPolicy, SealedSecret
from lib.tests.celery_worker import celery_worker, wait_for
from monitoring.models import ExpiryNotice
from webhooks.services import endpoint_create

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
PORTS = range(18700, 18800)


class Receiver:
    """Records the JSON bodies POSTed to it, on the first free loopback port of 18700-18799."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver.changed:
                    receiver.bodies.append(json.loads(body))
                    receiver.changed.notify_all()
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        for port in PORTS:
            try:
                self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
                break
            except OSError:
                continue
        else:
            raise RuntimeError("no free port in 18700-18799")
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def types(self) -> list[str]:
        return [b["type"] for b in self.bodies]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rx = Receiver()
    yield rx
    rx.server.shutdown()
    rx.server.server_close()


@pytest.fixture
def worker_and_beat(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: the worker and beat use Redis as their broker (set in CI)")
    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL on PostgreSQL: the worker process must share the test database (set in CI)")
    mail_dir, log = tmp_path / "mail", tmp_path / "worker.log"
    mail_dir.mkdir()
    env = {
        "DJANGO_SETTINGS_MODULE": "monitoring.tests.e2e_settings",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "WEBHOOK_ALLOW_LOOPBACK": "1",
        "WEBHOOK_REQUIRE_HTTPS": "0",
    }
    with celery_worker("-B", "-s", str(tmp_path / "beat"), env=env, log=log):
        yield mail_dir, log


def _emails(mail_dir: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in sorted(mail_dir.glob("*")))


def test_a_real_worker_and_beat_rotate_a_key_and_send_the_email_and_events(  # type: ignore[no-untyped-def]
    worker_and_beat, receiver, make_key, org, alice, settings
) -> None:
    mail_dir, log = worker_and_beat
    settings.WEBHOOK_ALLOW_LOOPBACK, settings.WEBHOOK_REQUIRE_HTTPS = True, False
    settings.KEYS_ROTATION_ALLOW_MINUTES = True
    endpoint_create(
        organization=org,
        actor=alice,
        url=receiver.url,
        event_types=["key.rotation_due", "key.rolled", "key.expiring"],
    )
    rotating, _ = make_key(environment="test", name="Rotating worker")
    rotation_policy_set(key=rotating, actor=alice, interval=timedelta(minutes=10), grace=timedelta(minutes=5))
    RotationPolicy.objects.update(next_rotation_at=timezone.now())
    expiring, _ = make_key(environment="test", name="Expiring worker", expires_at=timezone.now() + timedelta(days=3))
    # Made ten days ago: its 7-day threshold was crossed while it existed (none is noticed at creation).
    APIKey.objects.filter(pk=expiring.pk).update(created_at=timezone.now() - timedelta(days=10))

    def rolled_and_told() -> bool:
        emails = _emails(mail_dir)
        return (
            SealedSecret.objects.filter(key__predecessor=rotating).exists()
            and ExpiryNotice.objects.filter(credential_id=expiring.pk).exists()
            and {"key.rotation_due", "key.rolled", "key.expiring"} <= set(receiver.types())
            and "Rotating worker was rotated" in emails
            and 'API key "Expiring worker" expires in 3 days' in emails
        )

    wait_for(rolled_and_told, receiver, log)
    successor = APIKey.objects.get(predecessor=rotating)
    [due] = [b for b in receiver.bodies if b["type"] == "key.rotation_due"]
    assert due["data"]["successor"]["id"] == successor.id

    # Beat keeps running the jobs; a few more rounds of every one of them change nothing.
    def ran_again() -> bool:
        return log.read_text().count("keys.tasks.rotate_due_keys") >= 8

    wait_for(ran_again, receiver, log)
    assert APIKey.objects.filter(predecessor=rotating).count() == 1
    assert ExpiryNotice.objects.count() == 1
    emails = _emails(mail_dir)
    assert emails.count("Subject: [Keyhouse] Rotating worker was rotated") == 1
    assert emails.count('Subject: [Keyhouse] API key "Expiring worker" expires in 3 days') == 1
    assert "text/html" in emails  # each email also has its HTML part
    assert sorted(receiver.types()).count("key.rotation_due") == 1
