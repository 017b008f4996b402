"""Logs and metrics (docs/operations.md#logs, #metrics): JSON lines without secrets, Prometheus on /metrics.

Read last (config/settings/__init__.py): it adds its app and middleware to base.py's lists.
"""

from __future__ import annotations

from config.env import env_bool, env_str
from config.settings.base import INSTALLED_APPS, MIDDLEWARE, SECURE_REDIRECT_EXEMPT
from lib.logs import handler_config

# Connects the metric signals (webhook attempts, alerts, OAuth tokens, Celery tasks) in every process.
INSTALLED_APPS.append("config.apps.ObservabilityConfig")
# First, so every later middleware and view logs with the request id.
MIDDLEWARE.insert(0, "config.middleware.RequestIdMiddleware")

# `json` (one object per line, for log shippers) or `plain` (for a terminal; `make run` uses it).
LOG_FORMAT = env_str("LOG_FORMAT", "json") or "json"
_logs = handler_config()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": _logs["filters"],
    "formatters": _logs["formatters"],
    "handlers": {"console": {**_logs["handler"], "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # httpx logs every request URL at INFO; webhook URLs may carry the receiver's own tokens.
        "httpx": {"level": "WARNING"},
    },
}
# Celery would replace the root handler with its own, which has neither the JSON format nor redaction.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# One line per request (method, path without the query, status, time, credential) from keyhouse.request.
REQUEST_LOG = env_bool("REQUEST_LOG", True)

# /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`; unset, it is 404. Scrape every web node
# directly (each node sums its own gunicorn workers when PROMETHEUS_MULTIPROC_DIR is set).
METRICS_TOKEN = env_str("METRICS_TOKEN") or ""
SECURE_REDIRECT_EXEMPT.append(r"^metrics$")
# The Celery worker serves its own /metrics here (host:port; the same token), e.g. 0.0.0.0:9808.
CELERY_METRICS_BIND = env_str("CELERY_METRICS_BIND") or ""
