"""Generate an RSA signing key for ID tokens and JWT access tokens (docs/oauth.md, key rotation)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from oauth.jwks import load_private_key
from oauth.signing_keys import DEFAULT_BITS, generate_pem


class Command(BaseCommand):
    help = "Generate an RS256 signing key (PEM). Write it to a file readable only by its owner, or print it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", help="Write the key to this file (created with mode 0600; never overwritten).")
        parser.add_argument("--bits", type=int, default=DEFAULT_BITS, choices=(2048, 3072, 4096))

    def handle(self, *args: Any, **options: Any) -> None:
        pem = generate_pem(options["bits"])
        kid = load_private_key(pem).thumbprint()
        out = options.get("out")
        if out:
            path = Path(out)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                raise CommandError(f"{path} exists; choose a new file name for a new key.") from None
            with os.fdopen(fd, "w") as fh:
                fh.write(pem)
            self.stderr.write(f"Wrote a {options['bits']}-bit RSA key with kid {kid} to {path}.")
        else:
            self.stdout.write(pem)
            self.stderr.write(f"kid {kid}")
        self.stderr.write(
            "To rotate: move the current OIDC_RSA_PRIVATE_KEY into OIDC_RSA_PRIVATE_KEYS_INACTIVE, make this the "
            "active key, deploy, and drop the old key once the longest token lifetime has passed."
        )
