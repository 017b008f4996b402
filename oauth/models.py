"""django-oauth-toolkit's Application, swapped in from the first migration so apps belong to organizations.

DOT warns that swapping the model after its first migration is painful; the OAuth features are
built on this model later.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from oauth2_provider.models import AbstractApplication

from accounts.models import Organization


class Application(AbstractApplication):
    """An OAuth 2.0 / OIDC client registered by an organization."""

    organization: models.ForeignKey[Organization, Organization] = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="oauth_apps"
    )
    created_by: models.ForeignKey[Any, Any] = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at: models.DateTimeField[Any, Any] = models.DateTimeField(auto_now_add=True)

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"
