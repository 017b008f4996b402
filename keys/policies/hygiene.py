"""The hygiene report: active credentials that predate the team's policy or look abandoned, the one-click
fixes (through each registered kind's lifecycle, so the one authorization rule applies), and the
weekly idle-credential email to owners and admins.

Flags, per active credential (a rolled API key in its grace period is already on its way out):
- `no_expiry` / `no_allowlist`: a live credential without an expiry / allowed networks;
- `idle`: last used `IDLE_DAYS` or more ago; `never_used`: never used and older than `NEVER_USED_DAYS`;
- `over_max_age`: older than the team's maximum age (or, without one, its maximum lifetime).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization
from accounts.outbox import email_queue, recipients_for
from keys.core.registry import Kind, kinds
from keys.models import APIKey, Credential, CredentialPolicy, Environment, KeyStatus
from keys.policies.models import policy_for

IDLE_DAYS = 90
NEVER_USED_DAYS = 7
# "Set expiry" without a team maximum lifetime: a month, long enough to roll or replace the credential.
DEFAULT_FIX_DAYS = 30
LIMIT = 500

FLAGS = {
    "no_expiry": "No expiry",
    "no_allowlist": "No IP allowlist",
    "idle": f"Idle {IDLE_DAYS}+ days",
    "never_used": "Never used",
    "over_max_age": "Over the maximum age",
}


def hygiene_kinds() -> list[Kind[Any]]:
    """The registered kinds the report covers: the credentials (a CA is trusted, not used)."""
    return [kind for kind in kinds() if issubclass(kind.model, Credential)]


@dataclass(frozen=True)
class Finding:
    kind: Kind[Any]
    credential: Any
    flags: list[str]

    @property
    def labels(self) -> list[str]:
        return [FLAGS[f] for f in self.flags]

    @property
    def detail_path(self) -> str:
        slug = self.credential.organization.slug
        return reverse(self.kind.detail_url, kwargs={"slug": slug, self.kind.url_kwarg: self.credential.pk})

    @property
    def roll_path(self) -> str:
        if not self.kind.roll_url:
            return ""
        slug = self.credential.organization.slug
        return reverse(self.kind.roll_url, kwargs={"slug": slug, self.kind.url_kwarg: self.credential.pk})


def _active(kind: Kind[Any]) -> models.QuerySet[Any]:
    rows = kind.model._default_manager.filter(status=KeyStatus.ACTIVE)
    if kind.model is APIKey:
        rows = rows.filter(grace_until__isnull=True)
    return rows


def flags_of(credential: Any, policy: CredentialPolicy, now: datetime) -> list[str]:
    """The hygiene flags of one active credential, in `FLAGS` order."""
    live = credential.environment == Environment.LIVE
    max_age = policy.max_age_days or policy.max_lifetime_days
    found = {
        "no_expiry": live and credential.expires_at is None,
        "no_allowlist": live and not credential.allowed_networks,
        "idle": credential.last_used_at is not None and credential.last_used_at <= now - timedelta(days=IDLE_DAYS),
        "never_used": credential.last_used_at is None
        and credential.created_at <= now - timedelta(days=NEVER_USED_DAYS),
        "over_max_age": bool(max_age) and credential.created_at <= now - timedelta(days=max_age or 0),
    }
    return [flag for flag in FLAGS if found[flag]]


def hygiene_findings(organization: Organization, *, now: datetime | None = None) -> list[Finding]:
    """Every active credential of the team with at least one flag, oldest first (at most `LIMIT` per kind)."""
    now = now or timezone.now()
    policy = policy_for(organization)
    out: list[Finding] = []
    for kind in hygiene_kinds():
        rows = _active(kind).filter(organization=organization).select_related("organization").order_by("created_at")
        for credential in rows[:LIMIT]:
            flags = flags_of(credential, policy, now)
            if flags:
                out.append(Finding(kind, credential, flags))
    return out


def credential_for_fix(organization: Organization, kind_name: str, pk: str) -> tuple[Kind[Any], Any]:
    """The team's credential of that kind (404 for an unknown kind or another team's credential)."""
    kind = next((k for k in hygiene_kinds() if k.name == kind_name), None)
    if kind is None:
        raise Http404
    credential = kind.model._default_manager.filter(organization=organization, pk=pk[:64]).first()
    if credential is None:
        raise Http404
    return kind, credential


def hygiene_set_expiry(
    *, kind: Kind[Any], credential: Any, actor: Any, request: HttpRequest | None = None, now: datetime | None = None
) -> Any:
    """Give the credential an expiry: the team's maximum lifetime from now, else `DEFAULT_FIX_DAYS`
    (never later than one it already has). Through the kind's update service and its authorization."""
    now = now or timezone.now()
    days = policy_for(credential.organization).max_lifetime_days or DEFAULT_FIX_DAYS
    expires_at = now + timedelta(days=days)
    if credential.expires_at is not None:
        expires_at = min(expires_at, credential.expires_at)
    return kind.update(credential, actor=actor, request=request, expires_at=expires_at)


def hygiene_revoke(*, kind: Kind[Any], credential: Any, actor: Any, request: HttpRequest | None = None) -> Any:
    return kind.revoke(credential, actor=actor, request=request, reason="hygiene report")


# --- the weekly idle report ------------------------------------------------------------------------


def _idle_filter(now: datetime) -> Q:
    return Q(last_used_at__lte=now - timedelta(days=IDLE_DAYS)) | Q(
        last_used_at__isnull=True, created_at__lte=now - timedelta(days=NEVER_USED_DAYS)
    )


def idle_report_run(*, now: datetime | None = None) -> int:
    """Email each team's owners and admins the list of its idle and never-used credentials, once per ISO week.

    The week is claimed with a conditional UPDATE in the email's transaction, so two beats or a rerun
    send it once. Returns how many teams were emailed.
    """
    now = now or timezone.now()
    year, week, _ = now.isocalendar()
    label = f"{year}-W{week:02d}"
    org_ids: set[int] = set()
    for kind in hygiene_kinds():
        org_ids |= set(_active(kind).filter(_idle_filter(now)).values_list("organization_id", flat=True).distinct())
    sent = 0
    for org in Organization.objects.filter(pk__in=org_ids).order_by("pk"):
        CredentialPolicy.objects.get_or_create(organization=org)
        with transaction.atomic():
            claimed = CredentialPolicy.objects.filter(organization=org).exclude(idle_report_week=label)
            if not claimed.update(idle_report_week=label):
                continue
            idle = [f for f in hygiene_findings(org, now=now) if {"idle", "never_used"} & set(f.flags)]
            lines = [
                {
                    "kind_label": f.kind.label,
                    "name": f.credential.name,
                    "display_id": getattr(f.credential, "display_prefix", None) or f.credential.display_id,
                    "environment": f.credential.environment,
                    "last_used": f.credential.last_used_at.strftime("%Y-%m-%d") if f.credential.last_used_at else "",
                }
                for f in idle
            ]
            if lines:
                email_queue(
                    organization=org,
                    template="idle_credentials_report",
                    recipients=recipients_for(org),
                    context={
                        "organization": org.name,
                        "week": label,
                        "idle_days": IDLE_DAYS,
                        "credentials": lines,
                        "path": reverse("keys:hygiene", kwargs={"slug": org.slug}),
                    },
                )
                sent += 1
    return sent
