"""Errors that key services raise besides Django's ValidationError and PermissionDenied."""

from __future__ import annotations

from enum import StrEnum


class KeyConflict(Exception):
    """The key is not in a state that allows this change (already rolled, revoked, …)."""


class Refusal(StrEnum):
    """Why a credential was refused: the value is the code clients see (e.g. a 401's `detail.reason`),
    `message` the sentence that goes with it. Members are written `NAME = "code", "message"`, so the
    code and its message stand together in one table."""

    message: str

    def __new__(cls, value: str, message: str = "") -> Refusal:
        member = str.__new__(cls, value)
        member._value_ = value
        member.message = message
        return member
