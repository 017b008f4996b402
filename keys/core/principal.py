"""The `request.user` of a request authenticated by a credential rather than a person."""

from __future__ import annotations

from typing import Any


class CredentialUser:
    """A non-person principal: keys belong to organizations, not to the person who created them.

    It is authenticated but holds no Django permissions; what it may do is decided by the
    credential's scopes (`request.auth`).
    """

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, credential: Any) -> None:
        self.credential = credential

    @property
    def organization(self) -> Any:
        # Read when asked for, not on every request: most API views never ask.
        return self.credential.organization

    def __str__(self) -> str:
        return f"{self.credential.kind}:{self.credential.id}"

    def get_username(self) -> str:
        return str(self)

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return False

    def has_perms(self, perms: Any, obj: Any = None) -> bool:
        return False

    def has_module_perms(self, app_label: str) -> bool:
        return False
