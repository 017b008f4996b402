"""Monitoring's tests share the keys tests' fixture `hook`: a webhook endpoint that stores every event.
(Inline Celery, `eager_celery`, is the root conftest's.)"""

from __future__ import annotations

from keys.tests.conftest import hook

__all__ = ["hook"]
