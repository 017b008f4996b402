"""Template tags of scheduled rotation: its panels on the key page. (Alerts and usage: monitoring/panels.py.)

They load their own data, so the base layout and the key page stay one include line each.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import template
from django.conf import settings
from django.utils import timezone

from keys.apikeys.forms import RotationActionForm, RotationPolicyForm, SealedRevealForm
from keys.apikeys.selectors import rotation_policy_for, sealed_secret_for
from keys.policies.models import policy_for

register = template.Library()


@register.filter
def duration_label(value: timedelta) -> str:
    """`timedelta(days=7)` as "7 days", `timedelta(minutes=3)` as "3 minutes"."""
    from keys.apikeys.rotation import human_duration

    return human_duration(value) if isinstance(value, timedelta) else ""


@register.inclusion_tag("keys/_rotation_top.html", takes_context=True)
def rotation_top(context: template.Context) -> dict[str, Any]:
    """On a key's page: the sealed secret waiting to be revealed."""
    key, request = context["key"], context["request"]
    return {
        "key": key,
        "org": context["org"],
        "membership": context["membership"],
        "sealed": sealed_secret_for(key),
        "reveal_form": SealedRevealForm(request=request),
        "user": context.get("user"),
    }


@register.inclusion_tag("keys/_rotation_card.html", takes_context=True)
def rotation_card(context: template.Context) -> dict[str, Any]:
    """On a key's page: its rotation policy, with the form to set, run or stop it."""
    key, request = context["key"], context["request"]
    policy = rotation_policy_for(key)
    live = key.environment == "live"
    initial: dict[str, Any] = {}
    if policy is not None:
        minutes = int(policy.interval.total_seconds() // 60)
        if minutes % (24 * 60) == 0 or not settings.KEYS_ROTATION_ALLOW_MINUTES:
            initial = {"every": max(1, minutes // (24 * 60)), "unit": "days"}
        else:
            initial = {"every": minutes, "unit": "minutes"}
        initial["grace"] = str(int(policy.grace.total_seconds()))
    return {
        "key": key,
        "org": context["org"],
        "membership": context["membership"],
        "policy": policy,
        "form": RotationPolicyForm(request=request, live=live, initial=initial or None),
        "action_form": RotationActionForm(request=request, live=live),
        "max_age_days": policy_for(key.organization).max_age_days,
        "now_value": timezone.now(),
        "user": context.get("user"),
    }
