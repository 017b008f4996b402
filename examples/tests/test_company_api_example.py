"""The example company API (examples/company_api), run under gunicorn, against a live platform.

It knows the platform only through the client kit: API keys through POST /api/v1/verify with a
cache, revocation through a signed key.revoked webhook, JWTs from client_credentials against the JWKS
and the jti revocation list.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from keys.models import APIKey, KeyStatus
from keys.services import key_revoke
from webhooks.models import Delivery, DeliveryStatus
from webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db(transaction=True)

PROJECT = Path(__file__).resolve().parents[1] / "company_api"
TIMEOUT = 30


class CompanyAPI:
    """The example project in a gunicorn subprocess, on a socket bound here first.

    The socket listens before gunicorn starts (its port goes into the webhook endpoint's URL), so the
    first request simply waits in the backlog until the worker accepts it: no polling for readiness.
    """

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.set_inheritable(True)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.http = requests.Session()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, env: dict[str, str]) -> None:
        child_env = {**os.environ, **env, "DJANGO_SETTINGS_MODULE": "company_api.settings"}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"fd://{self.sock.fileno()}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--log-level",
                "warning",
                "company_api.wsgi",
            ],
            cwd=PROJECT,
            env=child_env,
            pass_fds=(self.sock.fileno(),),
        )

    def get(self, path: str, credential: str | None = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {credential}"} if credential else {}
        return self.http.get(f"{self.url}{path}", headers=headers, timeout=TIMEOUT)

    def stop(self) -> None:
        self.http.close()
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=TIMEOUT)
        self.sock.close()


@pytest.fixture
def keys(make_key: Any) -> dict[str, tuple[APIKey, str]]:
    """The service's own verifier key, a reader, a key without the orders scope, and one revoked behind its back."""
    return {
        "verifier": make_key(name="Company API", scopes=["keys:verify"]),
        "reader": make_key(name="Dashboard", scopes=["orders:read"]),
        "stranger": make_key(name="CRM sync", scopes=["customers:read"]),
        "stale": make_key(name="Forgotten job", scopes=["orders:write"]),
    }


@pytest.fixture
def company(live_platform: str, keys: dict[str, tuple[APIKey, str]], org: Any, alice: Any) -> Iterator[CompanyAPI]:
    api = CompanyAPI()
    # Created after the keys and for the invalidating events only, so nothing is delivered before gunicorn runs.
    _, secret = endpoint_create(
        organization=org,
        actor=alice,
        url=f"{api.url}/keyhouse/webhooks",
        event_types=["key.revoked", "key.updated", "key.disabled"],
    )
    # The verdict cache lives far longer than the test: a revoked key is refused only because the webhook said so.
    api.start(
        {
            "KEYHOUSE_URL": live_platform,
            "KEYHOUSE_API_KEY": keys["verifier"][1],
            "KEYHOUSE_WEBHOOK_SECRET": secret,
            "KEYHOUSE_TTL": "600",
            "KEYHOUSE_JTI_TTL": "0",
        }
    )
    yield api
    api.stop()


def test_a_valid_key_with_the_scope_gets_200(
    company: CompanyAPI, keys: dict[str, tuple[APIKey, str]], org: Any
) -> None:
    key, plaintext = keys["reader"]
    response = company.get("/orders", plaintext)
    assert response.status_code == 200, response.text
    assert response.json()["caller"] == {"kind": "api_key", "id": key.id, "organization": org.slug}


def test_missing_scope_gets_403_naming_it_and_no_credential_gets_401(
    company: CompanyAPI, keys: dict[str, tuple[APIKey, str]]
) -> None:
    refused = company.get("/orders", keys["stranger"][1])
    assert refused.status_code == 403, refused.text
    assert "orders:read" in refused.text
    anonymous = company.get("/orders")
    assert anonymous.status_code == 401 and "WWW-Authenticate" in anonymous.headers
    garbage = company.get("/orders", "ak_live_" + "x" * 46)
    assert garbage.status_code == 401
    assert company.get("/healthz").status_code == 200


def test_a_revoked_key_gets_401_once_the_webhook_arrives(
    company: CompanyAPI, keys: dict[str, tuple[APIKey, str]], alice: Any
) -> None:
    key, plaintext = keys["reader"]
    assert company.get("/orders", plaintext).status_code == 200  # now cached in the company API
    key_revoke(key=key, actor=alice, reason="Leaked")  # the key.revoked delivery runs on commit
    delivery = Delivery.objects.get(message__event_type="key.revoked")
    assert delivery.status == DeliveryStatus.SUCCEEDED
    refused = company.get("/orders", plaintext)
    assert refused.status_code == 401, refused.text


def test_without_a_webhook_the_cached_verdict_stands_until_its_ttl(
    company: CompanyAPI, keys: dict[str, tuple[APIKey, str]]
) -> None:
    """The control for the test above: a revocation nobody announces is seen only when the cache entry ends."""
    key, plaintext = keys["stale"]
    assert company.get("/orders", plaintext).status_code == 200
    APIKey.objects.filter(pk=key.pk).update(status=KeyStatus.REVOKED)  # behind the services' back: no event
    assert company.get("/orders", plaintext).status_code == 200


def _token(platform: str, credentials: tuple[str, str]) -> str:
    response = requests.post(
        f"{platform}/o/token/", data={"grant_type": "client_credentials"}, auth=credentials, timeout=TIMEOUT
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def test_a_client_credentials_jwt_is_accepted_and_refused_once_revoked(
    company: CompanyAPI, live_platform: str, client_credentials_app: tuple[str, str], org: Any
) -> None:
    token = _token(live_platform, client_credentials_app)
    accepted = company.get("/orders", token)
    assert accepted.status_code == 200, accepted.text
    caller = accepted.json()["caller"]
    assert caller["kind"] == "oauth_token" and caller["organization"] == org.pk
    # orders:write is not among the token's scopes.
    assert (
        company.http.post(
            f"{company.url}/orders", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
        ).status_code
        == 403
    )
    revoked = requests.post(
        f"{live_platform}/o/revoke_token/", data={"token": token}, auth=client_credentials_app, timeout=TIMEOUT
    )
    assert revoked.status_code == 200, revoked.text
    refused = company.get("/orders", token)
    assert refused.status_code == 401, refused.text
