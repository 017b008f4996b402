"""Reveal-once pages by post/redirect/get: the POST that makes a secret stashes it in the session under a
one-time token and redirects; the GET shows it once and forgets it.

A reload, Back or a resubmitted form therefore never creates a second credential or shows the secret a
second time: the token expires on its first view (and after `TTL` seconds unseen). The stash holds the page's
secrets encrypted with the keyring (the session table must not hold plaintext) and the page's objects by
model and primary key, fetched again within the team when the page is shown.
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import datetime
from typing import Any

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.models import Membership
from accounts.portal import member_or_404
from lib import crypto
from lib.http import no_store

SESSION_KEY = "reveals"
TTL = 600  # seconds a reveal waits for its one view
PURPOSE = "reveal"
GONE = "That secret was shown once and is no longer available. If you didn't save it, roll or rotate it."


class _Encoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, datetime):
            return {"__datetime__": o.isoformat()}
        return super().default(o)


def _decode(value: dict[str, Any]) -> Any:
    if set(value) == {"__datetime__"}:
        return parse_datetime(value["__datetime__"])
    return value


def reveal_redirect(
    request: HttpRequest, membership: Membership, template: str, *, back: str, **context: Any
) -> HttpResponse:
    """Stash a reveal page (its `template` and `context`: model instances by reference, the rest encrypted)
    and redirect to its one view; `back` is where a second view of the token goes instead."""
    token = secrets.token_urlsafe(18)
    objects = {
        name: [value._meta.label, str(value.pk)] for name, value in context.items() if isinstance(value, models.Model)
    }
    values = {name: value for name, value in context.items() if name not in objects}
    now = time.time()
    stash = {t: entry for t, entry in request.session.get(SESSION_KEY, {}).items() if entry["at"] > now - TTL}
    stash[token] = {
        "template": template,
        "org": membership.organization_id,
        "back": back,
        "at": now,
        "objects": objects,
        "values": crypto.encrypt(json.dumps(values, cls=_Encoder), purpose=PURPOSE, row_id=token, ephemeral=True),
    }
    request.session[SESSION_KEY] = stash
    return redirect("accounts:revealed", slug=membership.organization.slug, token=token)


@never_cache
@login_required
@require_GET
def revealed(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """Show a stashed reveal page once. A token already seen, expired or another team's sends the reader
    back with a note; the secret itself is never shown twice."""
    membership = member_or_404(request, slug)
    stash = dict(request.session.get(SESSION_KEY, {}))
    entry = stash.get(token)
    if entry is None or entry["org"] != membership.organization_id:
        messages.info(request, GONE)
        return redirect("accounts:home")
    # What stays after the one view: where a reload goes, never the secret.
    stash[token] = {"org": entry["org"], "back": entry["back"], "at": entry["at"]}
    request.session[SESSION_KEY] = stash
    if "values" not in entry or entry["at"] < time.time() - TTL:
        messages.info(request, GONE)
        return redirect(entry["back"])
    org = membership.organization
    context: dict[str, Any] = json.loads(
        crypto.decrypt(entry["values"], purpose=PURPOSE, row_id=token), object_hook=_decode
    )
    for name, (label, pk) in entry["objects"].items():
        context[name] = apps.get_model(label)._default_manager.get(pk=pk, organization=org)
    return no_store(render(request, entry["template"], {"membership": membership, "org": org, **context}))
