"""GitLab's Token Revocation API shape: the revocable token types, and an idempotent revoke, both only for the
GitLab instance holding the shared token."""

from __future__ import annotations

import json
from typing import Any

import pytest

from accounts.models import LeakPolicy
from audit.models import AuditEvent
from conftest import key_client
from keys.models import KeyStatus
from keys.tests.scanning import made_up_key

pytestmark = pytest.mark.django_db

BASE = "/api/v1/secret-scanning/gitlab/v1"
TYPE = "gitleaks_rule_id_keyhouse_api_key"
WHERE = "https://gitlab.example.com/acme/app/-/blob/abc123/config.yml"
TOKEN = "gitlab-shared-token-0123456789"


@pytest.fixture(autouse=True)
def shared_token(settings: Any) -> None:
    settings.KEYS_GITLAB_REVOCATION_TOKEN = TOKEN


def revoke(api: Any, entries: Any, authorization: str | None = TOKEN) -> Any:
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    return api.generic("POST", f"{BASE}/revoke", json.dumps(entries), content_type="application/json", **headers)


def test_gitlab_lists_the_token_types_we_revoke(api) -> None:  # type: ignore[no-untyped-def]
    response = api.get(f"{BASE}/revocable_token_types", HTTP_AUTHORIZATION=TOKEN)
    assert response.status_code == 200 and response.json() == {"types": [TYPE]}
    assert api.get(f"{BASE}/revocable_token_types", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_a_revoke_from_gitlab_revokes_the_key_and_names_where_it_was(api, make_key) -> None:  # type: ignore[no-untyped-def]
    key, plaintext = make_key(environment="live")
    response = revoke(
        api, [{"type": TYPE, "token": plaintext, "location": WHERE}, {"type": TYPE, "token": made_up_key()}]
    )
    assert response.status_code == 204 and response.content == b""
    assert key_client(plaintext).get("/api/v1/whoami").status_code == 401
    leak = AuditEvent.objects.get(action="key.leaked")
    assert (leak.metadata["source"], leak.metadata["url"]) == ("gitlab_secret_detection", WHERE)


def test_a_revoke_is_idempotent(api, make_key) -> None:  # type: ignore[no-untyped-def]
    key, plaintext = make_key()
    entries = [{"type": TYPE, "token": plaintext, "location": WHERE}]
    assert revoke(api, entries).status_code == 204
    assert revoke(api, entries).status_code == 204
    key.refresh_from_db()
    assert key.status == KeyStatus.REVOKED
    assert AuditEvent.objects.filter(action="key.leaked").count() == 1
    assert AuditEvent.objects.filter(action="key.revoked").count() == 1


def test_the_team_policy_applies_to_gitlab_reports_too(api, make_key, org) -> None:  # type: ignore[no-untyped-def]
    org.leak_policy = LeakPolicy.NOTIFY
    org.save(update_fields=["leak_policy"])
    key, plaintext = make_key()
    revoke(api, [{"type": TYPE, "token": plaintext, "location": WHERE}])
    key.refresh_from_db()
    assert (
        key.status == KeyStatus.ACTIVE and AuditEvent.objects.get(action="key.leaked").metadata["action"] == "notified"
    )


@pytest.mark.parametrize("authorization", [None, "", "wrong-token", "Bearer wrong-token", f"Basic {TOKEN}"])
def test_without_the_shared_token_both_endpoints_refuse(api, make_key, authorization) -> None:  # type: ignore[no-untyped-def]
    key, plaintext = make_key()
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    listed = api.get(f"{BASE}/revocable_token_types", **headers)
    revoked = revoke(api, [{"type": TYPE, "token": plaintext}], authorization=authorization)
    assert listed.status_code == revoked.status_code == 401
    assert revoked.json()["error"]["code"] == "authentication_failed" and "WWW-Authenticate" in revoked
    key.refresh_from_db()
    assert key.status == KeyStatus.ACTIVE


def test_when_no_token_is_configured_everything_is_refused(api, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KEYS_GITLAB_REVOCATION_TOKEN = ""
    response = api.get(f"{BASE}/revocable_token_types", HTTP_AUTHORIZATION="")
    assert response.status_code == 401 and "not configured" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "entries",
    [
        {"type": TYPE, "token": "x"},
        [{"type": "gitleaks_rule_id_aws", "token": "x"}],
        [{"type": TYPE}],
        ["x"],
        [{"type": TYPE, "token": ""}],
    ],
)
def test_a_malformed_revoke_or_unknown_type_gets_a_400(api, make_key, entries) -> None:  # type: ignore[no-untyped-def]
    response = revoke(api, entries)
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_request"


def test_only_the_documented_methods_are_allowed(api) -> None:  # type: ignore[no-untyped-def]
    assert api.post(f"{BASE}/revocable_token_types", HTTP_AUTHORIZATION=TOKEN).status_code == 405
    assert api.get(f"{BASE}/revoke", HTTP_AUTHORIZATION=TOKEN).status_code == 405
