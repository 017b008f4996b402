"""Settings for the authentication benchmark: the app's settings plus djangorestframework-api-key."""

from __future__ import annotations

from config.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "rest_framework_api_key"]  # noqa: F405
ROOT_URLCONF = "bench.urls"
