"""Celery tasks for the audit log. Thin: each calls one service."""

from __future__ import annotations

from audit.services import audit_chain_check
from lib.jobs import idempotent_task


@idempotent_task(retry_backoff=60, max_retries=5)
def verify_audit_chain() -> bool | None:
    """Daily: verify the audit log's hash chain (once per day, however many beats or retries)."""
    check = audit_chain_check()
    return None if check is None else check.ok
