"""Where the metrics of lib/metrics.py get their values, outside the request hot path.

Model and library signals count webhook attempts, anomaly alerts, OAuth tokens and Celery task
run times; scrape-time gauges read the webhook delivery backlog and the Celery queue depth. Living in
config/ (the top floor), this is the one module that knows every app, so none of them imports metrics.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from celery import signals as celery_signals
from django.conf import settings
from django.db.models.signals import post_save
from oauth2_provider.signals import app_authorized

from lib import metrics

logger = logging.getLogger(__name__)

GRANTS = (
    "authorization_code",
    "client_credentials",
    "refresh_token",
    "urn:ietf:params:oauth:grant-type:device_code",
)


def _attempt_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if created:
        metrics.WEBHOOK_ATTEMPTS.labels("succeeded" if instance.succeeded else "failed").inc()


def _alert_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if created:
        metrics.ANOMALY_ALERTS.labels(instance.kind).inc()


def _token_issued(sender: Any, request: Any, token: Any, **kwargs: Any) -> None:
    grant = request.POST.get("grant_type", "") if request is not None else ""
    metrics.OAUTH_TOKENS.labels(grant if grant in GRANTS else "other").inc()


_task_started: dict[str, float] = {}


def _task_prerun(task_id: str | None = None, **kwargs: Any) -> None:
    if task_id:
        _task_started[task_id] = time.perf_counter()


def _task_postrun(task_id: str | None = None, task: Any = None, state: str | None = None, **kwargs: Any) -> None:
    started = _task_started.pop(task_id or "", None)
    if started is not None and task is not None:
        metrics.TASK_SECONDS.labels(task.name, state or "UNKNOWN").observe(time.perf_counter() - started)


def delivery_backlog() -> Iterable[tuple[Mapping[str, str], float]]:
    """Pending webhook deliveries: all of them, and those already due (what the worker is behind on)."""
    from django.db.models import Count, Q
    from django.utils import timezone

    from webhooks.models import Delivery, DeliveryStatus

    counts = Delivery.objects.filter(status=DeliveryStatus.PENDING).aggregate(
        pending=Count("id"), due=Count("id", filter=Q(next_attempt_at__lte=timezone.now()))
    )
    yield {"state": "pending"}, float(counts["pending"])
    yield {"state": "due"}, float(counts["due"])


def queue_depth() -> Iterable[tuple[Mapping[str, str], float]]:
    """Messages waiting in each Celery queue of the broker (Redis lists, or the filesystem broker's files)."""
    url = settings.CELERY_BROKER_URL
    queue = getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")
    if url.startswith(("redis://", "rediss://")):
        import redis

        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        try:
            yield {"queue": queue}, float(client.llen(queue))
        finally:
            client.close()
    elif url == "filesystem://":
        folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])  # type: ignore[arg-type]
        yield {"queue": queue}, float(sum(1 for _ in folder.glob("*.msg")) if folder.is_dir() else 0)


def connect() -> None:
    post_save.connect(_attempt_saved, sender="webhooks.Attempt", dispatch_uid="metrics-webhook-attempt")
    post_save.connect(_alert_saved, sender="monitoring.Alert", dispatch_uid="metrics-anomaly-alert")
    app_authorized.connect(_token_issued, dispatch_uid="metrics-oauth-token")
    celery_signals.task_prerun.connect(_task_prerun, dispatch_uid="metrics-task-prerun")
    celery_signals.task_postrun.connect(_task_postrun, dispatch_uid="metrics-task-postrun")
    celery_signals.worker_ready.connect(_serve_worker_metrics, dispatch_uid="metrics-worker-serve")
    celery_signals.worker_process_shutdown.connect(_process_shutdown, dispatch_uid="metrics-worker-exit")
    metrics.register_gauge(
        "keyhouse_webhook_backlog", "Webhook deliveries waiting to be sent.", ("state",), delivery_backlog
    )
    metrics.register_gauge("keyhouse_celery_queue_length", "Tasks waiting in a Celery queue.", ("queue",), queue_depth)
    _initialise_series()


def _initialise_series() -> None:
    """Every known label set starts at 0, so dashboards and alerts see the series before the first event."""
    from monitoring.models import AlertKind

    for outcome in ("succeeded", "failed"):
        metrics.WEBHOOK_ATTEMPTS.labels(outcome)
    for kind in AlertKind.values:
        metrics.ANOMALY_ALERTS.labels(kind)
    for grant in GRANTS:
        metrics.OAUTH_TOKENS.labels(grant)


def _process_shutdown(**kwargs: Any) -> None:
    if metrics.multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())


def _serve_worker_metrics(**kwargs: Any) -> None:
    """The worker's own /metrics on CELERY_METRICS_BIND (its pool's task times), behind the same token."""
    bind = settings.CELERY_METRICS_BIND
    if not bind:
        return
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from config.metrics import token_ok

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ.get("PATH_INFO") != "/metrics" or not token_ok(environ.get("HTTP_AUTHORIZATION")):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found\n"]
        start_response("200 OK", [("Content-Type", metrics.CONTENT_TYPE_LATEST)])
        return [metrics.render()]

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # scrapes every few seconds are noise
            return

    host, _, port = bind.rpartition(":")
    server = make_server(host or "127.0.0.1", int(port), app, handler_class=QuietHandler)
    threading.Thread(target=server.serve_forever, name="worker-metrics", daemon=True).start()
    logger.info("worker metrics on http://%s/metrics", bind)
