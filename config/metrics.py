"""GET /metrics: the Prometheus exposition of this node, for `Authorization: Bearer <METRICS_TOKEN>` only."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache

from lib import metrics
from lib.http import bearer_token


def token_ok(authorization: str | None) -> bool:
    expected = settings.METRICS_TOKEN
    presented = bearer_token(authorization)
    return bool(expected) and presented is not None and hmac.compare_digest(presented.encode(), expected.encode())


@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    # 404 rather than 401: a scanner learns nothing, and an unset token means the endpoint is off.
    if not token_ok(request.META.get("HTTP_AUTHORIZATION")):
        raise Http404()
    return HttpResponse(metrics.render(), content_type=metrics.CONTENT_TYPE_LATEST)
