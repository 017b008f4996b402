"""The settings, one env-driven set for every machine (docs/configuration.md); DJANGO_SETTINGS_MODULE=config.settings.

Split by concern, not by environment: base.py is Django itself, credentials.py the platform's own
settings. There are no per-environment files: what differs between machines comes from env vars.
"""

from __future__ import annotations

from config.settings.base import *  # noqa: F403
from config.settings.credentials import *  # noqa: F403
from config.settings.observability import *  # noqa: F403
