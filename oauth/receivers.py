"""Signal receivers: keep the JWT revocation list in step with DOT's token rows."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete
from django.dispatch import receiver

from oauth.models import IssuedJWT
from oauth.tokens import revoke_jti


@receiver(post_delete, sender=IssuedJWT, dispatch_uid="oauth.revoke_jti")
def deny_deleted_jwt(sender: Any, instance: IssuedJWT, **kwargs: Any) -> None:
    """DOT revokes an access token by deleting its row (the cascade reaches us): deny its JWT everywhere.

    Set at once rather than on commit: if the delete rolls back, the token is refused a little
    early, which is the safe way to be wrong.
    """
    revoke_jti(instance.jti, instance.expires)
