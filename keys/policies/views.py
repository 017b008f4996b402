"""Portal pages of the team's key hygiene: the policies page and the hygiene report with its one-click fixes.

Both start with the membership (404 for outsiders). Changes go through the services: the policy through
`credential_policy_update` (owners and admins), the fixes through each kind's lifecycle services and so
through the one authorization rule (role, sudo for live credentials, the team policy).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from accounts.models import Membership
from accounts.portal import apply_errors, render_team
from accounts.services import sudo_is_active
from keys.core.errors import KeyConflict
from keys.core.views import credential_page, error_text
from keys.policies import hygiene
from keys.policies.forms import CredentialPolicyForm
from keys.policies.models import policy_for
from keys.policies.services import credential_policy_update


@credential_page()
def policies(request: HttpRequest, membership: Membership, slug: str) -> HttpResponse:
    org = membership.organization
    policy = policy_for(org)
    form = CredentialPolicyForm.for_policy(policy, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            credential_policy_update(organization=org, actor=request.user, request=request, **form.changes())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "Key policies saved. They apply to what is created or changed from now on.")
            return redirect("keys:policies", slug=slug)
    return render_team(request, "keys/policies.html", membership, form=form, policy=policy)


@credential_page()
def hygiene_report(request: HttpRequest, membership: Membership, slug: str) -> HttpResponse:
    org = membership.organization
    context = {
        "findings": hygiene.hygiene_findings(org),
        "flags": hygiene.FLAGS,
        "idle_days": hygiene.IDLE_DAYS,
        "default_fix_days": policy_for(org).max_lifetime_days or hygiene.DEFAULT_FIX_DAYS,
        "sudo": sudo_is_active(request),
    }
    return render_team(request, "keys/hygiene.html", membership, **context)


@credential_page(write=True, post=True)
def hygiene_fix(
    request: HttpRequest, membership: Membership, slug: str, kind: str, pk: str, action: str
) -> HttpResponse:
    """One click: give the credential an expiry, or revoke it (a roll posts to the kind's own roll page)."""
    spec, credential = hygiene.credential_for_fix(membership.organization, kind, pk)
    fixes: dict[str, Callable[..., Any]] = {"expiry": hygiene.hygiene_set_expiry, "revoke": hygiene.hygiene_revoke}
    fix = fixes.get(action)
    if fix is None:
        messages.error(request, "Unknown fix.")
        return redirect("keys:hygiene", slug=slug)
    try:
        fix(kind=spec, credential=credential, actor=request.user, request=request)
    except (ValidationError, KeyConflict, PermissionDenied) as exc:
        # The rule's refusals (sudo for live credentials, the team policy) as a message on the report.
        messages.error(request, f"{credential.name}: {error_text(exc)}")
    else:
        done = "now expires" if action == "expiry" else "is revoked"
        messages.success(request, f"{credential.name} {done}.")
    return redirect("keys:hygiene", slug=slug)
