"""Errors that webhook services raise besides Django's ValidationError and PermissionDenied."""

from __future__ import annotations


class WebhookConflict(Exception):
    """The endpoint or delivery is not in a state that allows this (disabled, attempt in flight, …)."""


class PayloadError(ValueError):
    """An event payload is too large or carries a field that looks like a secret (a programming error)."""
