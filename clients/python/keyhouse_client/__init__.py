"""keyhouse-client: check Keyhouse API keys and JWT access tokens from any Python service.

Framework-free core (`Keyhouse`, `KeyVerifier`, `JWTVerifier`, the webhook receiver); WSGI and ASGI
middlewares; DRF classes in `keyhouse_client.drf` (needs the `drf` extra). docs/client-kit.md.
"""

from __future__ import annotations

from keyhouse_client.credential import AuthenticationFailed, Credential, PlatformUnavailable
from keyhouse_client.jwt import JWTVerifier
from keyhouse_client.kit import Keyhouse
from keyhouse_client.verify import KeyVerifier
from keyhouse_client.webhooks import InvalidationReceiver, WebhookVerificationError

__all__ = [
    "AuthenticationFailed",
    "Credential",
    "InvalidationReceiver",
    "JWTVerifier",
    "KeyVerifier",
    "Keyhouse",
    "PlatformUnavailable",
    "WebhookVerificationError",
]
