"""Callables that config/settings/ hands to DOT directly (DOT does not import these by path).

They import models only when called, because settings load before the app registry.
"""

from __future__ import annotations

from typing import Any


def device_pre_token(request: Any) -> None:
    """OAUTH_PRE_TOKEN_VALIDATION for the device grant: the approving user and the scopes they saw.

    Unlike DOT's default it answers an unknown device code with invalid_grant instead of a 500.
    """
    from oauth2_provider.models import get_device_grant_model
    from oauthlib.oauth2.rfc6749 import errors

    device_code = request._params.get("device_code")
    grant = get_device_grant_model().objects.filter(device_code=device_code).first() if device_code else None
    if grant is None:
        raise errors.InvalidGrantError(description="Unknown or expired device code.", request=request)
    request.user = grant.user
    request.scopes = grant.scope.split() if grant.scope else []
