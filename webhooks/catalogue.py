"""The event catalogue: every event type the platform sends, with a description and an example `data` payload.

`publish` refuses a type that is not here, so the portal, the API and docs/webhooks.md always list
every event a receiver can get. Apps above webhooks add their own types with `register()` from
their `AppConfig.ready()`; the known platform events (DESIGN 7) are declared below.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

_KEY = {
    "id": "3fQ9xK2m",
    "name": "Billing service",
    "environment": "live",
    "scopes": ["orders:read", "customers:write"],
    "expires_at": "2026-01-31T12:00:00+00:00",
}
_SIGNING_SECRET = {
    "id": "hs_live_7Hc2LmQp",
    "kind": "signing_secret",
    "name": "Orders importer",
    "environment": "live",
    "scopes": ["orders:write"],
    "expires_at": None,
}
_CERTIFICATE = {
    "id": "cc_4Rk8VnTz",
    "kind": "client_certificate",
    "name": "Warehouse gateway",
    "environment": "live",
    "scopes": ["orders:read"],
    "expires_at": "2026-03-01T00:00:00+00:00",
    "match_type": "thumbprint",
    "match_value": "9Qm0…",
}
_AUTHORITY = {
    "id": "ca_2Wb6YtUe",
    "kind": "certificate_authority",
    "name": "Acme internal CA",
    "subject": "CN=Acme Internal CA,O=Acme",
    "thumbprint": "Zx81…",
    "not_after": "2030-01-01T00:00:00+00:00",
}
_ENDPOINT = {
    "id": "ep_5Jq0sWd3lZbF8rT1nYc2Xa9M",
    "url": "https://hooks.example.com/keyhouse",
    "description": "Ops alerts",
    "event_types": [],
    "enabled": False,
}


@dataclass(frozen=True)
class EventType:
    name: str
    group: str
    description: str
    example: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def example_envelope(self) -> dict[str, Any]:
        """The whole body a receiver gets for this type, with the example data."""
        return {"type": self.name, "timestamp": "2025-06-01T12:00:00.000000Z", "data": copy.deepcopy(self.example)}


_REGISTRY: dict[str, EventType] = {}


def register(name: str, *, group: str, description: str, example: dict[str, Any]) -> EventType:
    """Declare an event type (idempotent for an identical declaration)."""
    event = EventType(name, group, description, example)
    existing = _REGISTRY.get(name)
    if existing is not None and (existing.group, existing.description) != (group, description):
        raise ValueError(f"The event type {name!r} is already registered differently.")
    _REGISTRY[name] = event
    return event


def get(name: str) -> EventType | None:
    return _REGISTRY.get(name)


def grouped() -> list[tuple[str, list[EventType]]]:
    """Event types by group, groups and types in declaration order."""
    groups: dict[str, list[EventType]] = {}
    for event in _REGISTRY.values():
        groups.setdefault(event.group, []).append(event)
    return list(groups.items())


def event_types() -> list[EventType]:
    return [event for _, events in grouped() for event in events]


def names() -> list[str]:
    return [event.name for event in event_types()]


# --- API keys (emitted by keys.services.lifecycle and the key jobs) ---------------------------
register(
    "key.created",
    group="API keys",
    description="A key was created. The key itself is never sent; use its id to look it up.",
    example={"organization": "acme", "key": _KEY},
)
register(
    "key.updated",
    group="API keys",
    description="A key's name, networks, expiry, rate limit or metadata changed, or its scopes were narrowed.",
    example={"organization": "acme", "key": _KEY, "changed": ["name", "scopes"]},
)
register(
    "key.rolled",
    group="API keys",
    description="A key was replaced by a successor; the old key keeps working until grace_until.",
    example={
        "organization": "acme",
        "key": _KEY,
        "successor": "8dLp2QwZ",
        "grace_until": "2025-06-02T12:00:00+00:00",
    },
)
register(
    "key.revoked",
    group="API keys",
    description="A key was revoked. Requests with it fail from now on.",
    example={"organization": "acme", "key": _KEY, "reason": "Leaked in a CI log"},
)
register(
    "key.disabled",
    group="API keys",
    description="A key was suspended; requests with it fail until it is enabled again.",
    example={"organization": "acme", "key": _KEY},
)
register(
    "key.enabled",
    group="API keys",
    description="A disabled key was enabled again.",
    example={"organization": "acme", "key": _KEY},
)
register(
    "key.expiring",
    group="API keys",
    description="A key expires soon (sent 30, 7 and 1 days before, each once).",
    example={
        "organization": "acme",
        "kind": "api_key",  # or signing_secret, client_certificate (docs/jobs.md)
        "key": _KEY,
        "expires_at": _KEY["expires_at"],
        "days_left": 7,
        "threshold_days": 7,
    },
)
register(
    "key.expired",
    group="API keys",
    description="A key reached its expiry and stopped working.",
    example={
        "organization": "acme",
        "kind": "api_key",
        "key": _KEY,
        "expires_at": _KEY["expires_at"],
        "reason": "expired",  # or grace_ended: a rolled key's grace period is over
    },
)
register(
    "key.rotation_due",
    group="API keys",
    description="A key's rotation policy is due; a successor was or will be issued.",
    example={
        "organization": "acme",
        "key": _KEY,
        "successor": {**_KEY, "id": "8dLp2QwZ"},
        "reason": "policy",  # or max_age: the team's maximum key age
    },
)
register(
    "key.leaked",
    group="API keys",
    description="A credential was found in public (its holder's public revoke, GitHub or GitLab secret scanning, an "
    "operator); `action` says what was done: revoked, rolled (with `successor`), notified (the team's leak policy "
    "is notify only) or already_revoked.",
    example={
        "organization": "acme",
        "key": _KEY,
        "source": "github_secret_scanning",  # or public_revoke, gitlab_secret_detection, admin
        "url": "https://github.com/…",
        "action": "revoked",
    },
)
register(
    "usage.anomaly",
    group="Usage",
    description="Unusual use of a key: a traffic spike, a burst of failures, a new source network or a blocked address.",
    example={
        "organization": "acme",
        "key": _KEY,
        "kind": "spike",  # failures, new_network, blocked_network
        "observed": 5400,
        "baseline": 310.5,
        "alert": {
            "id": 42,
            "kind": "spike",
            "subject": "",
            "hour": "2025-06-01T12:00:00+00:00",
            "observed": 5400,
            "baseline": 310.5,
            "threshold": 1552.5,
            "details": {"sigma": 38.2, "lambda": 0.3},
        },
    },
)

# --- Signing secrets and client certificates (published by keys.services.credentials.record, in the
# transaction of the change; the audit action and the event type are the same name) ----------------
register(
    "signing_secret.created",
    group="Signing secrets",
    description="An HMAC request-signing secret was created. The secret itself is never sent.",
    example={"organization": "acme", "signing_secret": _SIGNING_SECRET},
)
register(
    "signing_secret.rotated",
    group="Signing secrets",
    description="A signing secret got a new secret under the same key id; the old one verifies until previous_valid_until.",
    example={
        "organization": "acme",
        "signing_secret": _SIGNING_SECRET,
        "version": 2,
        "previous_valid_until": "2025-06-02T12:00:00+00:00",
    },
)
register(
    "signing_secret.updated",
    group="Signing secrets",
    description="A signing secret's name, networks, expiry, rate limit, metadata or scopes changed (the fields are named).",
    example={"organization": "acme", "signing_secret": _SIGNING_SECRET, "changed": ["name"]},
)
register(
    "signing_secret.revoked",
    group="Signing secrets",
    description="A signing secret was revoked. Requests signed with it fail from now on.",
    example={"organization": "acme", "signing_secret": _SIGNING_SECRET, "reason": "Rotated out"},
)
register(
    "client_certificate.registered",
    group="Client certificates",
    description="An mTLS client identity was registered: a pinned certificate, or a subject or SAN under a registered CA.",
    example={"organization": "acme", "client_certificate": _CERTIFICATE},
)
register(
    "client_certificate.updated",
    group="Client certificates",
    description="A client certificate's name, networks, expiry, rate limit, metadata or scopes changed (the fields are named).",
    example={"organization": "acme", "client_certificate": _CERTIFICATE, "changed": ["scopes"]},
)
register(
    "client_certificate.revoked",
    group="Client certificates",
    description="A client certificate was revoked. Requests presenting it fail from now on.",
    example={"organization": "acme", "client_certificate": _CERTIFICATE, "reason": "Gateway decommissioned"},
)
register(
    "certificate_authority.registered",
    group="Client certificates",
    description="A certificate authority was registered; identities issued by it can be matched by subject or SAN.",
    example={"organization": "acme", "certificate_authority": _AUTHORITY},
)
register(
    "certificate_authority.revoked",
    group="Client certificates",
    description="A certificate authority is no longer trusted: every identity under it is refused.",
    example={
        "organization": "acme",
        "certificate_authority": _AUTHORITY,
        "reason": "CA key compromised",
        "identities_refused": 3,
    },
)

# --- OAuth apps ------------------------------------------------------------------------------
register(
    "oauth_app.created",
    group="OAuth apps",
    description="An OAuth application was registered.",
    example={"organization": "acme", "application": {"client_id": "kh_cli_9sd8f7", "name": "Reporting"}},
)
register(
    "oauth_app.secret_rotated",
    group="OAuth apps",
    description="An OAuth application's client secret was rotated. The secret itself is never sent.",
    example={"organization": "acme", "application": {"client_id": "kh_cli_9sd8f7", "name": "Reporting"}},
)

# --- Webhooks --------------------------------------------------------------------------------
register(
    "webhook.endpoint_disabled",
    group="Webhooks",
    description="A webhook endpoint was disabled: it answered 410 Gone, kept failing for days, or someone disabled it.",
    example={
        "organization": "acme",
        "endpoint": _ENDPOINT,
        "reason": "failing",
        "failing_since": "2025-05-27T12:00:00+00:00",
    },
)
register(
    "webhook.test",
    group="Webhooks",
    description="Sent by “Send test event” to check that an endpoint receives and verifies deliveries.",
    example={"organization": "acme", "endpoint": {"id": _ENDPOINT["id"]}, "message": "Hello from Keyhouse."},
)
