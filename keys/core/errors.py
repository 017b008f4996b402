"""Errors that key services raise besides Django's ValidationError and PermissionDenied."""

from __future__ import annotations


class KeyConflict(Exception):
    """The key is not in a state that allows this change (already rolled, revoked, …)."""
