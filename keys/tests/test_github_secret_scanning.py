"""GitHub's secret scanning partner endpoint: only signed reports are read; each key found is handled by its
team's leak policy, named by where it was found; the answer labels each token; a batch is one lookup."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import LeakPolicy, OutboundEmail
from audit.models import AuditEvent
from conftest import key_client, login
from keys.apikeys import tokens
from keys.models import APIKey, KeyStatus, SealedSecret
from keys.tests.jobs_helpers import send_queued_emails
from keys.tests.scanning import Signer, github_document, made_up_key, report
from monitoring.models import Alert, AlertKind
from webhooks.models import Message

pytestmark = pytest.mark.django_db

URL = "/api/v1/secret-scanning/github"
WHERE = "https://github.com/acme/app/blob/0123abc/settings.py"


@pytest.fixture
def github(settings: Any) -> Signer:
    signer = Signer.make("gh-key-1")
    settings.KEYS_GITHUB_SCANNING_PUBLIC_KEYS = github_document(Signer.make("gh-key-0"), signer)
    return signer


def post(api: Any, body: bytes, headers: dict[str, str]) -> Any:
    return api.generic("POST", URL, body, content_type="application/json", **headers)


def set_policy(org: Any, policy: str) -> None:
    org.leak_policy = policy
    org.save(update_fields=["leak_policy"])


def test_a_signed_report_revokes_the_key_and_labels_every_token(api, github, make_key, org, hook) -> None:  # type: ignore[no-untyped-def]
    key, plaintext = make_key(environment="live")
    stranger = made_up_key()
    body = report((plaintext, WHERE), (stranger, "https://github.com/x/y"))
    response = post(api, body, github.headers(body))
    assert response.status_code == 200
    assert response.json() == [
        {
            "token_hash": hashlib.sha256(plaintext.encode()).hexdigest(),
            "token_type": "keyhouse_api_key",
            "label": "true_positive",
        },
        {
            "token_hash": hashlib.sha256(stranger.encode()).hexdigest(),
            "token_type": "keyhouse_api_key",
            "label": "false_positive",
        },
    ]
    assert plaintext not in response.content.decode()
    assert key_client(plaintext).get("/api/v1/whoami").status_code == 401
    leak = AuditEvent.objects.get(action="key.leaked")
    assert (leak.metadata["url"], leak.metadata["source"], leak.metadata["action"]) == (
        WHERE,
        "github_secret_scanning",
        "revoked",
    )
    event = json.loads(Message.objects.get(event_type="key.leaked").payload)["data"]
    assert (event["url"], event["action"], event["key"]["id"]) == (WHERE, "revoked", key.id)
    email = OutboundEmail.objects.get(template="key_leaked")
    assert email.context["url"] == WHERE and "alice@example.com" in email.recipients
    alert = Alert.objects.get(kind=AlertKind.LEAKED)
    assert alert.key_id == key.id and alert.details["url"] == WHERE and alert.organization_id == org.pk


def test_the_notify_policy_tells_the_team_and_leaves_the_key_working(api, github, make_key, org, bob) -> None:  # type: ignore[no-untyped-def]
    set_policy(org, LeakPolicy.NOTIFY)
    key, plaintext = make_key(environment="live", actor=bob)
    body = report((plaintext, WHERE))
    assert post(api, body, github.headers(body)).json()[0]["label"] == "true_positive"
    key.refresh_from_db()
    assert key.status == KeyStatus.ACTIVE
    assert key_client(plaintext).get("/api/v1/whoami").status_code == 200
    assert AuditEvent.objects.get(action="key.leaked").metadata["action"] == "notified"
    assert Alert.objects.get(kind=AlertKind.LEAKED).details["action"] == "notified"
    (message,) = [m for m in send_queued_emails() if "found in public" in m.subject]
    assert set(message.to) == {"alice@example.com", "bob@example.com"}
    assert WHERE in message.body and "still works" in message.body and plaintext not in message.body


def test_the_roll_policy_seals_a_successor_and_ends_the_leaked_key_soon(api, github, make_key, org, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KEYS_LEAK_ROLL_GRACE_MINUTES = 30
    set_policy(org, LeakPolicy.ROLL)
    key, plaintext = make_key(environment="live")
    body = report((plaintext, WHERE))
    before = timezone.now()
    post(api, body, github.headers(body))
    key.refresh_from_db()
    successor = APIKey.objects.get(predecessor=key)
    assert key.status == KeyStatus.ACTIVE and key.grace_until is not None
    assert before + timedelta(minutes=29) < key.grace_until <= timezone.now() + timedelta(minutes=30)
    sealed = SealedSecret.objects.get(key=successor)
    assert sealed.is_available and sealed.destroy_at == key.grace_until and plaintext not in sealed.ciphertext
    leak = AuditEvent.objects.get(action="key.leaked")
    assert leak.metadata["action"] == "rolled" and leak.metadata["successor"]["id"] == successor.id
    assert OutboundEmail.objects.get(template="key_leaked").context["successor_prefix"] == successor.display_prefix


def test_the_same_report_twice_changes_nothing_the_second_time(api, github, make_key) -> None:  # type: ignore[no-untyped-def]
    _, plaintext = make_key()
    body = report((plaintext, WHERE))
    first = post(api, body, github.headers(body))
    second = post(api, body, github.headers(body))
    assert first.json() == second.json() and second.json()[0]["label"] == "true_positive"
    assert AuditEvent.objects.filter(action="key.leaked").count() == 1
    assert OutboundEmail.objects.filter(template="key_leaked").count() == 1


def test_a_batch_of_a_thousand_tokens_is_looked_up_in_one_query(api, github, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    body = report(*[(made_up_key(), f"https://github.com/x/y/{i}") for i in range(1000)])
    headers = github.headers(body)
    with django_assert_num_queries(1):
        response = post(api, body, headers)
    assert response.status_code == 200 and len(response.json()) == 1000
    assert {item["label"] for item in response.json()} == {"false_positive"}


def test_an_unsigned_report_is_refused_and_revokes_nothing(api, github, make_key) -> None:  # type: ignore[no-untyped-def]
    key, plaintext = make_key()
    response = post(api, report((plaintext, WHERE)), {})
    assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_signature"
    assert "WWW-Authenticate" in response
    key.refresh_from_db()
    assert key.status == KeyStatus.ACTIVE


@pytest.mark.parametrize("forgery", ["other_key", "unknown_identifier", "tampered_body", "not_base64"])
def test_a_badly_signed_report_is_refused_and_revokes_nothing(api, github, make_key, forgery) -> None:  # type: ignore[no-untyped-def]
    key, plaintext = make_key()
    body = report((plaintext, WHERE))
    headers = github.headers(body)
    if forgery == "other_key":
        headers = {**headers, "HTTP_GITHUB_PUBLIC_KEY_SIGNATURE": Signer.make("gh-key-1").sign(body)}
    elif forgery == "unknown_identifier":
        headers = {**Signer.make("gh-key-9").headers(body)}
    elif forgery == "tampered_body":
        body = report((plaintext, "https://evil.example/"))
    else:
        headers = {**headers, "HTTP_GITHUB_PUBLIC_KEY_SIGNATURE": "%%%not base64%%%"}
    response = post(api, body, headers)
    assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_signature"
    key.refresh_from_db()
    assert key.status == KeyStatus.ACTIVE and not AuditEvent.objects.filter(action="key.leaked").exists()


def test_without_configured_keys_every_report_is_refused(api, settings, make_key) -> None:  # type: ignore[no-untyped-def]
    settings.KEYS_GITHUB_SCANNING_PUBLIC_KEYS = ""
    _, plaintext = make_key()
    body = report((plaintext, WHERE))
    response = post(api, body, Signer.make("gh-key-1").headers(body))
    assert response.status_code == 401 and "not configured" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"token": "x"}', b'[{"type": "t"}]', b'["just a string"]', b'[{"token": 5}]'],
)
def test_a_signed_but_malformed_report_gets_a_clear_400(api, github, body) -> None:  # type: ignore[no-untyped-def]
    response = post(api, body, github.headers(body))
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_request"


def test_an_oversized_batch_is_refused(api, github, settings) -> None:  # type: ignore[no-untyped-def]
    settings.KEYS_SCANNER_MAX_TOKENS = 3
    body = report(*[(made_up_key(), "") for _ in range(4)])
    response = post(api, body, github.headers(body))
    assert response.status_code == 400 and "at most 3" in json.dumps(response.json())


def test_a_report_with_a_url_we_cannot_store_still_revokes(api, github, make_key) -> None:  # type: ignore[no-untyped-def]
    key, plaintext = make_key()
    body = report((plaintext, "javascript:alert(1)"))
    post(api, body, github.headers(body))
    key.refresh_from_db()
    assert key.status == KeyStatus.REVOKED and AuditEvent.objects.get(action="key.leaked").metadata["url"] == ""


def test_revoked_and_test_keys_are_still_true_positives(api, github, make_key) -> None:  # type: ignore[no-untyped-def]
    _, test_key = make_key(environment="test")
    wrong_env = test_key.replace("_test_", "_live_", 1)
    wrong_env = wrong_env[: -tokens.CHECK_LENGTH] + tokens.checksum(wrong_env[: -tokens.CHECK_LENGTH])
    body = report((test_key, WHERE), (wrong_env, WHERE))
    labels = [item["label"] for item in post(api, body, github.headers(body)).json()]
    assert labels == ["true_positive", "false_positive"]


def test_the_leak_alert_shows_in_the_portal_alerts_list_with_where(client, api, github, make_key, org, alice) -> None:  # type: ignore[no-untyped-def]
    _, plaintext = make_key()
    body = report((plaintext, WHERE))
    post(api, body, github.headers(body))
    login(client, alice)
    page = client.get(f"/orgs/{org.slug}/alerts/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Key found in public" in html and WHERE in html and plaintext not in html


def test_the_key_page_names_where_the_leaked_key_was_found(client, api, github, make_key, org, alice, settings) -> None:  # type: ignore[no-untyped-def]
    set_policy(org, LeakPolicy.NOTIFY)
    key, plaintext = make_key()
    body = report((plaintext, WHERE))
    post(api, body, github.headers(body))
    login(client, alice)
    html = client.get(f"/orgs/{org.slug}/keys/{key.id}/").content.decode()
    assert "Key found in public" in html and WHERE in html
