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
_APPLICATION = {"client_id": "kh_cli_9sd8f7", "name": "Reporting"}
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


def _about(subject: str, value: dict[str, Any], **facts: Any) -> dict[str, Any]:
    """An example `data`: the organization, the object the event is about, then the event's own facts."""
    return {"organization": "acme", subject: value, **facts}


def _declare(group: str, events: list[tuple[str, str, dict[str, Any]]]) -> None:
    """Register a group's event types, each a (name, description, example data) row, in order."""
    for name, description, example in events:
        register(name, group=group, description=description, example=example)


# --- API keys (emitted by keys.services.lifecycle and the key jobs) ---------------------------
_declare(
    "API keys",
    [
        (
            "key.created",
            "A key was created. The key itself is never sent; use its id to look it up.",
            _about("key", _KEY),
        ),
        (
            "key.updated",
            "A key's name, networks, expiry, rate limit or metadata changed, or its scopes were narrowed.",
            _about("key", _KEY, changed=["name", "scopes"]),
        ),
        (
            "key.rolled",
            "A key was replaced by a successor; the old key keeps working until grace_until.",
            _about("key", _KEY, successor="8dLp2QwZ", grace_until="2025-06-02T12:00:00+00:00"),
        ),
        (
            "key.revoked",
            "A key was revoked. Requests with it fail from now on.",
            _about("key", _KEY, reason="Leaked in a CI log"),
        ),
        ("key.disabled", "A key was suspended; requests with it fail until it is enabled again.", _about("key", _KEY)),
        ("key.enabled", "A disabled key was enabled again.", _about("key", _KEY)),
        (
            "key.expiring",
            "A key expires soon (sent 30, 7 and 1 days before, each once).",
            {
                "organization": "acme",
                "kind": "api_key",  # or signing_secret, client_certificate (docs/jobs.md)
                "key": _KEY,
                "expires_at": _KEY["expires_at"],
                "days_left": 7,
                "threshold_days": 7,
            },
        ),
        (
            "key.expired",
            "A key reached its expiry and stopped working.",
            {
                "organization": "acme",
                "kind": "api_key",
                "key": _KEY,
                "expires_at": _KEY["expires_at"],
                "reason": "expired",  # or grace_ended: a rolled key's grace period is over
            },
        ),
        (
            "key.rotation_due",
            "A key's rotation policy is due; a successor was or will be issued.",
            # reason: policy, or max_age (the team's maximum key age)
            _about("key", _KEY, successor={**_KEY, "id": "8dLp2QwZ"}, reason="policy"),
        ),
        (
            "key.leaked",
            "A credential was found in public (its holder's public revoke, GitHub or GitLab secret scanning, an "
            "operator); `action` says what was done: revoked, rolled (with `successor`), notified (the team's leak "
            "policy is notify only) or already_revoked.",
            # source: github_secret_scanning, or public_revoke, gitlab_secret_detection, admin
            _about("key", _KEY, source="github_secret_scanning", url="https://github.com/…", action="revoked"),
        ),
    ],
)
_declare(
    "Usage",
    [
        (
            "usage.anomaly",
            "Unusual use of a key: a traffic spike, a burst of failures, a new source network or a blocked address.",
            _about(
                "key",
                _KEY,
                kind="spike",  # failures, new_network, blocked_network
                observed=5400,
                baseline=310.5,
                alert={
                    "id": 42,
                    "kind": "spike",
                    "subject": "",
                    "hour": "2025-06-01T12:00:00+00:00",
                    "observed": 5400,
                    "baseline": 310.5,
                    "threshold": 1552.5,
                    "details": {"sigma": 38.2, "lambda": 0.3},
                },
            ),
        ),
    ],
)

# --- Signing secrets and client certificates (published by keys.services.credentials.record, in the
# transaction of the change; the audit action and the event type are the same name) ----------------
_declare(
    "Signing secrets",
    [
        (
            "signing_secret.created",
            "An HMAC request-signing secret was created. The secret itself is never sent.",
            _about("signing_secret", _SIGNING_SECRET),
        ),
        (
            "signing_secret.rotated",
            "A signing secret got a new secret under the same key id; the old one verifies until previous_valid_until.",
            _about("signing_secret", _SIGNING_SECRET, version=2, previous_valid_until="2025-06-02T12:00:00+00:00"),
        ),
        (
            "signing_secret.updated",
            "A signing secret's name, networks, expiry, rate limit, metadata or scopes changed (the fields are named).",
            _about("signing_secret", _SIGNING_SECRET, changed=["name"]),
        ),
        (
            "signing_secret.revoked",
            "A signing secret was revoked. Requests signed with it fail from now on.",
            _about("signing_secret", _SIGNING_SECRET, reason="Rotated out"),
        ),
    ],
)
_declare(
    "Client certificates",
    [
        (
            "client_certificate.registered",
            "An mTLS client identity was registered: a pinned certificate, or a subject or SAN under a registered CA.",
            _about("client_certificate", _CERTIFICATE),
        ),
        (
            "client_certificate.updated",
            "A client certificate's name, networks, expiry, rate limit, metadata or scopes changed (the fields are "
            "named).",
            _about("client_certificate", _CERTIFICATE, changed=["scopes"]),
        ),
        (
            "client_certificate.revoked",
            "A client certificate was revoked. Requests presenting it fail from now on.",
            _about("client_certificate", _CERTIFICATE, reason="Gateway decommissioned"),
        ),
        (
            "certificate_authority.registered",
            "A certificate authority was registered; identities issued by it can be matched by subject or SAN.",
            _about("certificate_authority", _AUTHORITY),
        ),
        (
            "certificate_authority.revoked",
            "A certificate authority is no longer trusted: every identity under it is refused.",
            _about("certificate_authority", _AUTHORITY, reason="CA key compromised", identities_refused=3),
        ),
    ],
)

# --- OAuth apps ------------------------------------------------------------------------------
_declare(
    "OAuth apps",
    [
        ("oauth_app.created", "An OAuth application was registered.", _about("application", _APPLICATION)),
        (
            "oauth_app.secret_rotated",
            "An OAuth application's client secret was rotated. The secret itself is never sent.",
            _about("application", _APPLICATION),
        ),
    ],
)

# --- Webhooks --------------------------------------------------------------------------------
_declare(
    "Webhooks",
    [
        (
            "webhook.endpoint_disabled",
            "A webhook endpoint was disabled: it answered 410 Gone, kept failing for days, or someone disabled it.",
            _about("endpoint", _ENDPOINT, reason="failing", failing_since="2025-05-27T12:00:00+00:00"),
        ),
        (
            "webhook.test",
            "Sent by “Send test event” to check that an endpoint receives and verifies deliveries.",
            _about("endpoint", {"id": _ENDPOINT["id"]}, message="Hello from Keyhouse."),
        ),
    ],
)
