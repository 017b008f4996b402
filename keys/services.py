"""Key services: the only place that changes credentials (API keys, signing secrets, client certificates)."""

from __future__ import annotations

from keys.apikeys.leaks import key_report_leaked
from keys.apikeys.services import key_create, key_disable, key_enable, key_revoke, key_roll, key_update
from keys.apikeys.verification import Check, Code, Verdict, key_check, key_verify
from keys.certificates.services import (
    certificate_authority_register,
    certificate_authority_revoke,
    client_certificate_check,
    client_certificate_register,
    client_certificate_revoke,
    client_certificate_update,
)
from keys.core.errors import KeyConflict
from keys.signing.services import (
    signed_request_check,
    signing_secret_create,
    signing_secret_revoke,
    signing_secret_rotate,
    signing_secret_update,
)

__all__ = [
    "Check",
    "Code",
    "KeyConflict",
    "Verdict",
    "certificate_authority_register",
    "certificate_authority_revoke",
    "client_certificate_check",
    "client_certificate_register",
    "client_certificate_revoke",
    "client_certificate_update",
    "key_check",
    "key_create",
    "key_disable",
    "key_enable",
    "key_report_leaked",
    "key_revoke",
    "key_roll",
    "key_update",
    "key_verify",
    "signed_request_check",
    "signing_secret_create",
    "signing_secret_revoke",
    "signing_secret_rotate",
    "signing_secret_update",
]
