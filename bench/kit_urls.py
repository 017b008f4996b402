"""URLs of bench/client_kit.py's platform server: the bench endpoints, then every platform URL."""

from __future__ import annotations

from bench.urls import urlpatterns as bench_urlpatterns
from config.urls import urlpatterns as platform_urlpatterns

urlpatterns = [*bench_urlpatterns, *platform_urlpatterns]
