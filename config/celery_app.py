"""The Celery app. Settings come from Django settings under the CELERY_ namespace."""

from __future__ import annotations

import os

from celery import Celery, signals

from lib.metrics import clear_multiprocess_dir

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.celeryd_init.connect
def _fresh_metrics(**kwargs: object) -> None:
    """The worker's parent, before its pool forks: metrics files of an earlier run must not be summed in."""
    clear_multiprocess_dir()
