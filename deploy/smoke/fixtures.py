"""The smoke test's data, made through the services against the production settings; prints JSON.

A user and team, an API key for calls and one to revoke, a management key, the client certificate
the script generated (pinned), and a webhook endpoint pointing at the script's loopback receiver.
Usage: python deploy/smoke/fixtures.py RECEIVER_URL CLIENT_CERT_PEM_PATH
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

from accounts.models import Membership  # noqa: E402
from accounts.services import user_signup  # noqa: E402
from keys.services import client_certificate_register, key_create  # noqa: E402
from webhooks.services.endpoints import endpoint_create  # noqa: E402


def main(receiver_url: str, client_cert_path: str) -> dict[str, str]:
    user = user_signup(email="smoke@example.com", password="smoke-password-0123", name="Smoke")
    org = Membership.objects.get(user=user).organization
    key, plaintext = key_create(organization=org, actor=user, name="calls", scopes=["orders:read"])
    doomed, doomed_plaintext = key_create(organization=org, actor=user, name="to revoke", scopes=["orders:read"])
    _, manager = key_create(
        organization=org, actor=user, name="manager", scopes=["keys:read", "keys:manage", "orders:read"]
    )
    certificate = client_certificate_register(
        organization=org,
        actor=user,
        name="billing service",
        scopes=["orders:read"],
        certificate_pem=Path(client_cert_path).read_text(),
    )
    endpoint, webhook_secret = endpoint_create(organization=org, actor=user, url=receiver_url)
    return {
        "key": plaintext,
        "key_id": key.id,
        "doomed": doomed_plaintext,
        "doomed_id": doomed.id,
        "manager": manager,
        "certificate_id": str(certificate.id),
        "endpoint_id": str(endpoint.id),
        "webhook_secret": webhook_secret,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
