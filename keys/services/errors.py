"""Moved to `keys.core.errors` (the credential core); this path stays for existing imports."""

from __future__ import annotations

from keys.core.errors import KeyConflict

__all__ = ["KeyConflict"]
