"""Settings of the example company API: no database, no sessions; every credential is checked by Keyhouse.

Configured from the environment: KEYHOUSE_URL (the platform), KEYHOUSE_API_KEY (this service's own
key, scope `keys:verify`), KEYHOUSE_WEBHOOK_SECRET (the `whsec_…` secret of the webhook endpoint
registered for this service), KEYHOUSE_TTL and KEYHOUSE_JTI_TTL (seconds).
"""

from __future__ import annotations

import os

SECRET_KEY = os.environ.get("COMPANY_API_SECRET_KEY", "example-only-not-secret")
DEBUG = os.environ.get("COMPANY_API_DEBUG") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["django.contrib.contenttypes", "rest_framework"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "company_api.urls"
WSGI_APPLICATION = "company_api.wsgi.application"
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["keyhouse_client.drf.RemoteKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["keyhouse_client.drf.HasScopes"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}

KEYHOUSE = {
    "BASE_URL": os.environ.get("KEYHOUSE_URL", "http://127.0.0.1:8000"),
    "API_KEY": os.environ.get("KEYHOUSE_API_KEY", ""),
    "WEBHOOK_SECRETS": [s for s in os.environ.get("KEYHOUSE_WEBHOOK_SECRET", "").split(",") if s],
    "TTL": float(os.environ.get("KEYHOUSE_TTL", "5")),
    "JTI_TTL": float(os.environ.get("KEYHOUSE_JTI_TTL", "5")),
}

LOGGING = {
    "version": 1,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"keyhouse_client": {"handlers": ["console"], "level": "INFO"}},
}
