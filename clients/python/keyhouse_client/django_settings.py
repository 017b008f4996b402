"""Django glue: one kit per process built from `settings.KEYHOUSE`, and the view that receives webhooks.

KEYHOUSE = {"BASE_URL": "https://keys.example.com", "API_KEY": "ak_live_…",
            "WEBHOOK_SECRETS": ["whsec_…"], "TTL": 5, "JTI_TTL": 5}

urlpatterns = [path("keyhouse/webhooks", keyhouse_webhook)]
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from keyhouse_client.gate import MAX_WEBHOOK_BODY
from keyhouse_client.kit import Keyhouse

_lock = threading.Lock()
_kit: Keyhouse | None = None


def get_kit() -> Keyhouse:
    """The process's kit (its cache is shared by every request the process serves)."""
    global _kit
    if _kit is None:
        with _lock:
            if _kit is None:
                _kit = build(getattr(settings, "KEYHOUSE", {}))
    return _kit


class CacheInvalidations:
    """`SharedInvalidations` on a Django cache: one small entry per invalidated key id."""

    def __init__(self, alias: str = "default", prefix: str = "keyhouse:invalidated:") -> None:
        self.alias, self.prefix = alias, prefix

    def mark(self, key_id: str, at: float, ttl: float) -> None:
        caches[self.alias].set(self.prefix + key_id, at, timeout=max(1, int(ttl) + 1))

    def marked_at(self, key_id: str) -> float | None:
        value = caches[self.alias].get(self.prefix + key_id)
        return float(value) if isinstance(value, int | float) else None


def build(config: dict[str, Any]) -> Keyhouse:
    missing = [name for name in ("BASE_URL", "API_KEY") if not config.get(name)]
    if missing:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"settings.KEYHOUSE needs {', '.join(missing)}.")
    return Keyhouse(
        base_url=config["BASE_URL"],
        api_key=config["API_KEY"],
        webhook_secrets=config.get("WEBHOOK_SECRETS") or (),
        ttl=float(config.get("TTL", 5.0)),
        jti_ttl=float(config.get("JTI_TTL", 5.0)),
        maxsize=int(config.get("MAXSIZE", 10_000)),
        timeout=float(config.get("TIMEOUT", 2.0)),
        jwt=bool(config.get("JWT", True)),
        issuer=config.get("ISSUER"),
        audience=config.get("AUDIENCE"),
        shared=CacheInvalidations(config["SHARED_CACHE"]) if config.get("SHARED_CACHE") else None,
    )


def _reset(*, setting: str, **_: Any) -> None:
    global _kit
    if setting == "KEYHOUSE":
        _kit = None


setting_changed.connect(_reset, dispatch_uid="keyhouse_client.reset")


@csrf_exempt
@require_POST
def keyhouse_webhook(request: HttpRequest) -> HttpResponse:
    """Receive the platform's webhooks: verify the signature, then drop the named key's cached verdicts."""
    if int(request.headers.get("Content-Length") or 0) > MAX_WEBHOOK_BODY:
        return HttpResponse(status=413)
    return HttpResponse(status=get_kit().handle_webhook(dict(request.headers), request.body))
