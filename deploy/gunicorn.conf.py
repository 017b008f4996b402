"""gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py config.wsgi`."""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30  # lets each worker flush its batched usage counters on shutdown
keepalive = 5
# Never larger than what the app accepts: oversized headers get gunicorn's 400, not a crash.
limit_request_field_size = 8190
accesslog = "-"
# The access log format leaves out headers, so keys in Authorization/X-API-Key never reach logs.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(L)ss'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
