"""Portal pages for usage anomaly alerts: the list, acknowledge and resolve."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from keys.core.errors import KeyConflict
from keys.core.views import member as _member
from monitoring.models import AlertKind, AlertStatus
from monitoring.selectors import alert_counts, alert_for_org, alerts_for_org
from monitoring.services import alerts

PAGE_SIZE = 25


@login_required
def alert_list(request: HttpRequest, slug: str) -> HttpResponse:
    membership = _member(request, slug)
    org = membership.organization
    status = request.GET.get("status", "unresolved")
    if status not in ("unresolved", "all", *AlertStatus.values):
        status = "unresolved"
    kind = request.GET.get("kind", "")
    if kind not in AlertKind.values:
        kind = ""
    page = Paginator(alerts_for_org(org, status=status, kind=kind), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "membership": membership,
        "org": org,
        "page": page,
        "filters": {"status": status, "kind": kind},
        "kinds": AlertKind.choices,
        "counts": alert_counts(org),
    }
    return render(request, "monitoring/alerts.html", context)


def _act(request: HttpRequest, slug: str, alert_id: str, *, resolve: bool) -> HttpResponse:
    membership = _member(request, slug, write=True)
    alert = alert_for_org(membership.organization, alert_id)
    service = alerts.alert_resolve if resolve else alerts.alert_acknowledge
    try:
        service(alert=alert, actor=request.user, request=request)  # type: ignore[arg-type]
    except KeyConflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Alert resolved." if resolve else "Alert acknowledged.")
    back = request.POST.get("next", "")
    if back.startswith(f"/orgs/{slug}/") and "//" not in back:
        return redirect(back)
    return redirect("alerts:list", slug=slug)


@login_required
@require_POST
def alert_acknowledge(request: HttpRequest, slug: str, alert_id: str) -> HttpResponse:
    return _act(request, slug, alert_id, resolve=False)


@login_required
@require_POST
def alert_resolve(request: HttpRequest, slug: str, alert_id: str) -> HttpResponse:
    return _act(request, slug, alert_id, resolve=True)
