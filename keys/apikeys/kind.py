"""API keys as a registered kind (`keys.core.registry`): their lifecycle names and where their pages are.

Their portal pages are their own (`keys.apikeys.views`: create, roll and reveal differ), so only the
detail and roll pages are named here, for the hygiene report.
"""

from __future__ import annotations

from keys.apikeys.selectors import key_for_org
from keys.core.registry import Kind, register
from keys.models import APIKey

API_KEY = register(
    Kind(
        name="api_key",
        model=APIKey,
        label="API key",
        noun="key",
        event_name="key",
        context_name="key",
        lookup=key_for_org,
        detail_url="keys:detail",
        detail_template="keys/key_detail.html",
        roll_url="keys:roll",
        revoked_message="Revoked {name}. Requests with it fail from now on.",
    )
)
