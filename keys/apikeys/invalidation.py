"""What drops cached key records (keys.apikeys.cache): every saved or deleted key, organization or membership.

Every change that can make a key stop working goes through a model save or delete (revoke, disable,
update, roll, grace changes, rehash under a new pepper, organization and membership changes), so
the signals are the one place that cannot be forgotten by a new service. Expiry and the end of a
roll grace need no message: they are checked against the clock on every request.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from accounts.models import Membership, Organization
from keys.apikeys.cache import invalidate_key, invalidate_organization
from keys.models import APIKey


def _key_changed(sender: Any, instance: APIKey, created: bool = False, **kwargs: Any) -> None:
    if not created:
        invalidate_key(instance.pk)


def _organization_changed(sender: Any, instance: Organization, created: bool = False, **kwargs: Any) -> None:
    if not created:
        invalidate_organization(instance.pk)


def _membership_changed(sender: Any, instance: Membership, **kwargs: Any) -> None:
    invalidate_organization(instance.organization_id)


def connect() -> None:
    post_save.connect(_key_changed, sender=APIKey, dispatch_uid="keys-cache-key-saved")
    post_delete.connect(_key_changed, sender=APIKey, dispatch_uid="keys-cache-key-deleted")
    post_save.connect(_organization_changed, sender=Organization, dispatch_uid="keys-cache-org-saved")
    post_delete.connect(_organization_changed, sender=Organization, dispatch_uid="keys-cache-org-deleted")
    post_save.connect(_membership_changed, sender=Membership, dispatch_uid="keys-cache-membership-saved")
    post_delete.connect(_membership_changed, sender=Membership, dispatch_uid="keys-cache-membership-deleted")
