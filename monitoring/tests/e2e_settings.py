"""Settings for the end-to-end worker + beat test: the app's own, with the key jobs every two seconds."""

from __future__ import annotations

import os

from config.settings import *  # noqa: F403
from config.settings import CELERY_BEAT_SCHEDULE as _SCHEDULE

FAST = {"keys-rotation", "monitoring-expiry-notices", "keys-notifications-sweep", "webhooks-sweep"}
CELERY_BEAT_SCHEDULE = {name: {**entry, "schedule": 2.0} for name, entry in _SCHEDULE.items() if name in FAST}
# The file email backend's folder (the app's settings have no env var for it: production sends SMTP).
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", "")
