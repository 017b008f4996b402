"""After a pg_dump / pg_restore round trip (docs/operations.md, "Back up and restore"): what the restored
database must still do. Prints JSON; exits non-zero when a check fails.

Usage (DATABASE_URL pointing at the restored database): python deploy/smoke/verify_restore.py KEY REVOKED_KEY
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from audit.services import audit_chain_verify  # noqa: E402
from keys.apikeys.verification import Code, key_check  # noqa: E402
from webhooks.models import EndpointSecret  # noqa: E402
from webhooks.services.endpoints import endpoint_secrets  # noqa: E402


def main(key: str, revoked: str) -> dict[str, object]:
    chain = audit_chain_verify()
    endpoint = EndpointSecret.objects.select_related("endpoint").first()
    return {
        "key_valid": key_check(key, ip="127.0.0.1").code is Code.VALID,
        "revoked_refused": key_check(revoked, ip="127.0.0.1").code is not Code.VALID,
        "audit_chain_ok": chain.ok and chain.checked > 0,
        # Encrypted secrets open with the same ENCRYPTION_KEYS: the dump holds only ciphertext.
        "webhook_secret_opens": endpoint is not None and bool(endpoint_secrets(endpoint.endpoint)),
    }


if __name__ == "__main__":
    result = main(sys.argv[1], sys.argv[2])
    print(json.dumps(result))
    sys.exit(0 if all(result.values()) else 1)
