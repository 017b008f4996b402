"""Settings for bench/client_kit.py: the benchmark server's, with the platform's own URLs beside the bench endpoints
(the company API calls POST /api/v1/verify on it)."""

from __future__ import annotations

from bench.settings import *  # noqa: F403

ROOT_URLCONF = "bench.kit_urls"
