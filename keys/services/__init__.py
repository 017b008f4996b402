"""Key services: the only place that changes keys."""

from __future__ import annotations

from keys.services.errors import KeyConflict
from keys.services.lifecycle import key_create, key_disable, key_enable, key_revoke, key_roll, key_update
from keys.services.usage import usage_apply, usage_rollup
from keys.services.verification import Check, Code, Verdict, key_check, key_verify

__all__ = [
    "Check",
    "Code",
    "KeyConflict",
    "Verdict",
    "key_check",
    "key_create",
    "key_disable",
    "key_enable",
    "key_revoke",
    "key_roll",
    "key_update",
    "key_verify",
    "usage_apply",
    "usage_rollup",
]
