"""Leaked keys: revoke a key that was found in public and tell the team where (`key.leaked`)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.http import HttpRequest

from audit.services import audit_record
from keys.apikeys.services import key_revoke
from keys.models import APIKey
from webhooks.services import publish

_url = URLValidator(schemes=["http", "https"])
SOURCES = ("admin", "public_revoke", "github_secret_scanning")


def _clean_source_url(source_url: str) -> str:
    source_url = (source_url or "").strip()
    if len(source_url) > 500:
        raise ValidationError({"source_url": "The address is at most 500 characters."})
    if source_url:
        _url(source_url)
    return source_url


def key_report_leaked(
    *,
    key: APIKey,
    actor: Any,
    source_url: str = "",
    source: str = "admin",
    request: HttpRequest | None = None,
) -> APIKey:
    """Revoke `key` as leaked and, in the same transaction, audit and publish `key.leaked` with where it
    was found (`source`: who reported it; `source_url`: the page, commit or log that exposed it).

    The revoke itself also records `key.revoked`. Reporting a key that is already revoked still records
    and publishes the leak (the team should know it was exposed), without revoking it again.
    """
    if source not in SOURCES:
        raise ValidationError({"source": f"The source is one of {', '.join(SOURCES)}."})
    source_url = _clean_source_url(source_url)
    with transaction.atomic():
        revoked = key_revoke(key=key, actor=actor, reason=f"Leaked ({source})", request=request)
        audit_record(
            action="key.leaked",
            organization=revoked.organization,
            actor=actor,
            target_type="api_key",
            target_id=revoked.id,
            request=request,
            metadata={"key": revoked.summary(), "source": source, "url": source_url},
        )
        publish(
            organization=revoked.organization,
            event_type="key.leaked",
            data={
                "organization": revoked.organization.slug,
                "key": revoked.summary(),
                "source": source,
                "url": source_url,
            },
        )
    return revoked
