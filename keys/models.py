"""The credential kinds of keys/: API keys, HMAC signing secrets and mTLS client certificates."""

from __future__ import annotations

from keys.apikeys.models import APIKey, RotationPolicy, SealedReason, SealedSecret
from keys.certificates.models import CertificateAuthority, ClientCertificate, MatchType
from keys.core.models import Credential, Environment, KeyStatus
from keys.policies.models import CredentialPolicy
from keys.signing.models import SigningSecret

__all__ = [
    "APIKey",
    "CertificateAuthority",
    "ClientCertificate",
    "Credential",
    "CredentialPolicy",
    "Environment",
    "KeyStatus",
    "MatchType",
    "RotationPolicy",
    "SealedReason",
    "SealedSecret",
    "SigningSecret",
]
