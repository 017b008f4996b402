"""Portal pages for usage anomaly alerts: the list, acknowledge and resolve."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from accounts.models import Membership
from accounts.portal import View, page_of, render_team
from keys.core.views import attempt, credential_page
from monitoring.models import Alert, AlertKind, AlertStatus
from monitoring.selectors import alert_counts, alert_for_org, alerts_for_org
from monitoring.services import alerts


@credential_page()
def alert_list(request: HttpRequest, membership: Membership, slug: str) -> HttpResponse:
    org = membership.organization
    status = request.GET.get("status", "unresolved")
    if status not in ("unresolved", "all", *AlertStatus.values):
        status = "unresolved"
    kind = request.GET.get("kind", "")
    if kind not in AlertKind.values:
        kind = ""
    context = {
        "page": page_of(request, alerts_for_org(org, status=status, kind=kind)),
        "filters": {"status": status, "kind": kind},
        "kinds": AlertKind.choices,
        "counts": alert_counts(org),
    }
    return render_team(request, "monitoring/alerts.html", membership, **context)


def _alert_action(*, resolve: bool) -> View:
    """The acknowledge or resolve button of an alert; back where it was pressed (a page of this team's)."""

    @credential_page(write=True, post=True, lookup=("alert_id", alert_for_org))
    def act(request: HttpRequest, membership: Membership, alert: Alert, slug: str) -> HttpResponse:
        service = alerts.alert_resolve if resolve else alerts.alert_acknowledge
        if attempt(request, service, alert=alert) is not None:
            messages.success(request, "Alert resolved." if resolve else "Alert acknowledged.")
        back = request.POST.get("next", "")
        if back.startswith(f"/orgs/{slug}/") and "//" not in back:
            return redirect(back)
        return redirect("alerts:list", slug=slug)

    return act


alert_acknowledge = _alert_action(resolve=False)
alert_resolve = _alert_action(resolve=True)
