"""gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py config.wsgi`.

Everything that differs between nodes comes from the environment (deploy/compose.yaml and the smoke
test in deploy/smoke/ set the same names): GUNICORN_BIND, GUNICORN_WORKERS, GUNICORN_THREADS,
GUNICORN_TIMEOUT, FORWARDED_ALLOW_IPS, LOG_FORMAT, PROMETHEUS_MULTIPROC_DIR.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from pathlib import Path
from typing import Any

# The project root, so lib.logs imports whatever directory gunicorn was started from.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lib.logs import handler_config
from lib.metrics import clear_multiprocess_dir, multiprocess_dir

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30  # lets each worker flush its batched usage counters on shutdown
keepalive = 5
# Never larger than what the app accepts: oversized headers get gunicorn's 400, not a crash.
limit_request_field_size = 8190
accesslog = "-"
# The access log format leaves out headers, so keys in Authorization/X-API-Key never reach logs; the
# request line's query string goes through the redaction filter like every other record.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(L)ss %({x-request-id}i)s'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# gunicorn's own loggers write the same redacted JSON lines as the app (lib/logs.py).
_logs = handler_config(stream="ext://sys.stdout")
_handler = {**_logs["handler"], "formatter": os.environ.get("LOG_FORMAT", "json")}
logconfig_dict: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": _logs["filters"],
    "formatters": _logs["formatters"],
    "handlers": {"console": _handler},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}


# Prometheus multiprocess mode (lib/metrics.py): each worker writes its values to a file in
# PROMETHEUS_MULTIPROC_DIR and /metrics sums them. The master empties it before forking.
def on_starting(server: Any) -> None:
    clear_multiprocess_dir()


def child_exit(server: Any, worker: Any) -> None:
    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
