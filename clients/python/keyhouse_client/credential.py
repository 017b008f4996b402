"""What a checked request carries: the same attributes as the platform's own `request.auth`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from keyhouse_client import scopes as scope_rules


class AuthenticationFailed(Exception):
    """The request's credential is ours but not valid. `reason` is for the log, never for the caller."""

    def __init__(self, reason: str, *, code: str = "INVALID") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class PlatformUnavailable(Exception):
    """The platform could not be asked (network error, timeout, 5xx): fail closed, answer 503."""


@dataclass(frozen=True)
class Credential:
    """A verified API key (`kind="api_key"`) or JWT access token (`kind="oauth_token"`)."""

    id: str
    kind: str
    organization: str | int | None
    scopes: tuple[str, ...]
    expires_at: datetime | None = None
    environment: str | None = None
    client_id: str | None = None
    subject: str | None = None
    levels: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: scope_rules.LEVELS, repr=False, compare=False)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def allows(self, scope: str) -> bool:
        """Whether the credential holds `scope`, a higher level implying the lower ones."""
        return not scope_rules.missing(self.scopes, [scope], self.levels)

    def missing(self, required: list[str]) -> list[str]:
        return scope_rules.missing(self.scopes, required, self.levels)
