"""List the configured signing keys: which one signs, and which stay published for verification."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from oauth.jwks import keyset


class Command(BaseCommand):
    help = "Show the kid of the active signing key and of every inactive key still in the JWKS."

    def handle(self, *args: Any, **options: Any) -> None:
        keys = keyset()
        for kid in keys.public:
            self.stdout.write(f"{kid}  {'active (signs)' if kid == keys.kid else 'inactive (verifies only)'}")
