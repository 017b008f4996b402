"""The credential kinds of keys/: API keys, HMAC signing secrets and mTLS client certificates."""

from __future__ import annotations

from keys.models.alerts import Alert, AlertKind, AlertStatus, UsageNetwork
from keys.models.api_keys import APIKey, Environment, KeyStatus, UsageBucket, UsageRollupBatch
from keys.models.certificates import CertificateAuthority, ClientCertificate, MatchType
from keys.models.credentials import Credential
from keys.models.notices import ExpiryNotice
from keys.models.rotation import RotationPolicy, SealedReason, SealedSecret
from keys.models.signing import SigningSecret

__all__ = [
    "APIKey",
    "Alert",
    "AlertKind",
    "AlertStatus",
    "CertificateAuthority",
    "ClientCertificate",
    "Credential",
    "Environment",
    "ExpiryNotice",
    "KeyStatus",
    "MatchType",
    "RotationPolicy",
    "SealedReason",
    "SealedSecret",
    "SigningSecret",
    "UsageBucket",
    "UsageNetwork",
    "UsageRollupBatch",
]
