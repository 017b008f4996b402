"""The credential kinds of keys/: API keys, HMAC signing secrets and mTLS client certificates."""

from __future__ import annotations

from keys.models.api_keys import APIKey, Environment, KeyStatus
from keys.models.certificates import CertificateAuthority, ClientCertificate, MatchType
from keys.models.credentials import Credential
from keys.models.rotation import RotationPolicy, SealedReason, SealedSecret
from keys.models.signing import SigningSecret

__all__ = [
    "APIKey",
    "CertificateAuthority",
    "ClientCertificate",
    "Credential",
    "Environment",
    "KeyStatus",
    "MatchType",
    "RotationPolicy",
    "SealedReason",
    "SealedSecret",
    "SigningSecret",
]
