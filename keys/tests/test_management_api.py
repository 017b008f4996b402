from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import key_client, login
from keys.models import APIKey, KeyStatus
from keys.services import key_revoke
from lib.tests.answers import assert_not_found

pytestmark = pytest.mark.django_db

NEW_KEY = {"name": "CI deploys", "scopes": ["orders:read"], "environment": "test"}


# --- people, through a portal session -----------------------------------------------------


def test_owner_lists_creates_and_reads_keys(api, alice, org) -> None:  # type: ignore[no-untyped-def]
    login(api, alice)
    created = api.post("/api/v1/keys/", NEW_KEY, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["key"].startswith(f"ak_test_{body['id']}")
    assert created["Cache-Control"] == "no-store"
    listed = api.get("/api/v1/keys/").json()
    assert listed["count"] == 1 and "key" not in listed["results"][0]
    assert "secret_hash" not in listed["results"][0]
    assert api.get(f"/api/v1/keys/{body['id']}").json()["name"] == "CI deploys"


def test_developer_can_create_viewer_cannot(api, bob, vera, org) -> None:  # type: ignore[no-untyped-def]
    login(api, bob)
    assert api.post(f"/api/v1/keys/?organization={org.slug}", NEW_KEY, format="json").status_code == 201
    login(api, vera)
    assert api.get(f"/api/v1/keys/?organization={org.slug}").status_code == 200
    denied = api.post(f"/api/v1/keys/?organization={org.slug}", NEW_KEY, format="json")
    assert denied.status_code == 403
    assert "Viewers" in denied.json()["error"]["message"]


def test_outsider_gets_404_for_the_team_and_its_keys(api, charlie, make_key, org) -> None:  # type: ignore[no-untyped-def]
    key, _ = make_key()
    login(api, charlie)
    assert api.get(f"/api/v1/keys/?organization={org.slug}").status_code == 404
    # In his own team, Alice's key simply does not exist.
    assert_not_found(
        api,
        [
            ("get", f"/api/v1/keys/{key.id}"),
            ("patch", f"/api/v1/keys/{key.id}"),
            ("post", f"/api/v1/keys/{key.id}/roll"),
            ("post", f"/api/v1/keys/{key.id}/revoke"),
            ("post", f"/api/v1/keys/{key.id}/disable"),
            ("post", f"/api/v1/keys/{key.id}/enable"),
        ],
    )
    assert APIKey.objects.get(pk=key.pk).status == KeyStatus.ACTIVE


def test_live_key_changes_need_a_fresh_password(api, alice) -> None:  # type: ignore[no-untyped-def]
    login(api, alice, sudo=False)
    response = api.post("/api/v1/keys/", {**NEW_KEY, "environment": "live"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "reauthentication_required"
    assert api.post("/api/v1/keys/", NEW_KEY, format="json").status_code == 201  # test keys do not


def test_bad_input_gets_400_with_field_messages(api, alice) -> None:  # type: ignore[no-untyped-def]
    login(api, alice)
    cases = [
        ({**NEW_KEY, "scopes": ["nope:read"]}, "scopes", "Unknown scope(s): nope:read."),
        ({**NEW_KEY, "allowed_networks": ["300.1.1.1/8"]}, "allowed_networks", "is not an IPv4 or IPv6 CIDR block"),
        ({**NEW_KEY, "expires_at": (timezone.now() - timedelta(days=1)).isoformat()}, "expires_at", "in the future"),
        ({**NEW_KEY, "name": "x" * 101}, "name", "no more than 100 characters"),
        ({**NEW_KEY, "scopes": "orders:read"}, "scopes", "list"),
        ({**NEW_KEY, "rate_limit": "lots"}, "rate_limit", "valid integer"),
    ]
    for payload, field, message in cases:
        response = api.post("/api/v1/keys/", payload, format="json")
        assert response.status_code == 400, payload
        error = response.json()["error"]
        assert error["code"] == "invalid_request"
        assert message in " ".join(error["detail"][field]), error


def test_malformed_json_gets_400(api, alice) -> None:  # type: ignore[no-untyped-def]
    login(api, alice)
    response = api.generic("POST", "/api/v1/keys/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"
    response = api.generic("POST", "/api/v1/keys/", b"\xff\xfe", content_type="application/json")
    assert response.status_code == 400


def test_roll_and_revoke_through_the_api(api, alice, make_key) -> None:  # type: ignore[no-untyped-def]
    key, old_plain = make_key(environment="test")
    login(api, alice)
    rolled = api.post(f"/api/v1/keys/{key.id}/roll", {"grace_seconds": 3600}, format="json")
    assert rolled.status_code == 200, rolled.content
    body = rolled.json()
    assert body["successor"]["predecessor"] == key.id and body["previous"]["successor"] == body["successor"]["id"]
    assert body["previous"]["status"] == "rolling"
    again = api.post(f"/api/v1/keys/{key.id}/roll", {}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    revoked = api.post(f"/api/v1/keys/{body['successor']['id']}/revoke", {"reason": "done"}, format="json")
    assert revoked.json()["status"] == "revoked"
    assert key_client(body["key"]).get("/api/v1/whoami").status_code == 401


# --- keys calling the management API ------------------------------------------------------


def test_key_with_keys_manage_creates_within_its_own_scopes(make_key) -> None:  # type: ignore[no-untyped-def]
    _, plaintext = make_key(scopes=["keys:manage", "orders:read"])
    client = key_client(plaintext)
    assert client.post("/api/v1/keys/", {**NEW_KEY, "environment": "live"}, format="json").status_code == 201
    beyond = client.post("/api/v1/keys/", {**NEW_KEY, "environment": "live", "scopes": ["orders:write"]}, format="json")
    assert beyond.status_code == 400
    assert "orders:write" in str(beyond.json()["error"]["detail"])


def test_key_without_scope_gets_403(make_key) -> None:  # type: ignore[no-untyped-def]
    _, reader = make_key(scopes=["keys:read"])
    _, nothing = make_key(scopes=["orders:read"])
    assert key_client(reader).get("/api/v1/keys/").status_code == 200
    denied = key_client(reader).post("/api/v1/keys/", NEW_KEY, format="json")
    assert denied.status_code == 403
    assert denied.json()["error"]["detail"] == {"missing_scopes": ["keys:manage"]}
    assert key_client(nothing).get("/api/v1/keys/").status_code == 403


def test_revoked_key_gets_401_on_the_management_api(make_key, alice) -> None:  # type: ignore[no-untyped-def]
    key, plaintext = make_key(scopes=["keys:manage"])
    key_revoke(key=key, actor=alice)
    assert key_client(plaintext).get("/api/v1/keys/").status_code == 401


def test_key_sees_only_its_own_teams_keys(make_key, charlie_org, charlie) -> None:  # type: ignore[no-untyped-def]
    from keys.services import key_create

    theirs, _ = key_create(organization=charlie_org, actor=charlie, name="theirs", scopes=["orders:read"])
    _, plaintext = make_key(scopes=["keys:manage"])
    client = key_client(plaintext)
    assert all(k["id"] != theirs.id for k in client.get("/api/v1/keys/").json()["results"])
    assert client.get(f"/api/v1/keys/{theirs.id}").status_code == 404
    assert client.post(f"/api/v1/keys/{theirs.id}/revoke", {}, format="json").status_code == 404


def test_list_filters_and_search(api, alice, make_key) -> None:  # type: ignore[no-untyped-def]
    make_key(name="billing", environment="test")
    live, _ = make_key(name="shipping")
    key_revoke(key=live, actor=alice)
    login(api, alice)
    names = lambda q: [k["name"] for k in api.get(f"/api/v1/keys/?{q}").json()["results"]]  # noqa: E731
    assert names("environment=test") == ["billing"]
    assert names("status=revoked") == ["shipping"]
    assert names("search=bill") == ["billing"]


# --- whoami and verify --------------------------------------------------------------------


def test_whoami_describes_the_key(make_key, org) -> None:  # type: ignore[no-untyped-def]
    key, plaintext = make_key(scopes=["orders:write"])
    body = key_client(plaintext).get("/api/v1/whoami").json()
    assert body == {
        "type": "api_key",
        "id": key.id,
        "organization": org.slug,
        "environment": "live",
        "scopes": ["orders:write"],
        "expires_at": None,
    }


def test_verify_reports_each_outcome(make_key, alice, charlie_org, charlie) -> None:  # type: ignore[no-untyped-def]
    from keys.services import key_create

    _, verifier = make_key(scopes=["keys:verify"])
    client = key_client(verifier)
    good, good_plain = make_key(scopes=["orders:read"], rate_limit=1)
    bad, bad_plain = make_key()
    key_revoke(key=bad, actor=alice)
    _, netted = make_key(allowed_networks=["192.0.2.0/24"])
    _, foreign = key_create(organization=charlie_org, actor=charlie, name="x", scopes=["orders:read"])

    def verify(**payload):  # type: ignore[no-untyped-def]
        response = client.post("/api/v1/verify", payload, format="json")
        assert response.status_code == 200, response.content
        return response.json()

    ok = verify(key=good_plain, scopes=["orders:read"])
    assert ok["valid"] is True and ok["code"] == "VALID" and ok["key_id"] == good.id
    assert ok["ratelimit"] == {"limit": 1, "remaining": 0, "reset": ok["ratelimit"]["reset"]}
    assert verify(key=good_plain)["code"] == "RATE_LIMITED"
    assert verify(key=bad_plain)["code"] == "REVOKED"
    assert verify(key=netted, ip="198.51.100.1")["code"] == "FORBIDDEN_IP"
    assert verify(key=netted, ip="192.0.2.1")["code"] == "VALID"
    foreign_result = verify(key=foreign)
    assert foreign_result["code"] == "NOT_FOUND" and foreign_result["key_id"] is None
    assert verify(key="garbage")["code"] == "MALFORMED"
    short = verify(key=netted, ip="192.0.2.1", scopes=["orders:write"])
    assert short["code"] == "INSUFFICIENT_SCOPE" and short["missing_scopes"] == ["orders:write"]


def test_verify_needs_keys_verify_scope(make_key) -> None:  # type: ignore[no-untyped-def]
    _, plaintext = make_key(scopes=["orders:read"])
    response = key_client(plaintext).post("/api/v1/verify", {"key": plaintext}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["detail"] == {"missing_scopes": ["keys:verify"]}


def test_verify_rejects_bad_body(make_key) -> None:  # type: ignore[no-untyped-def]
    _, plaintext = make_key(scopes=["keys:verify"])
    client = key_client(plaintext)
    assert client.post("/api/v1/verify", {}, format="json").status_code == 400
    assert client.post("/api/v1/verify", {"key": "x", "ip": "not-an-ip"}, format="json").status_code == 400
    assert client.post("/api/v1/verify", {"key": ["x"]}, format="json").status_code == 400


def test_unknown_api_path_gets_json_404(api) -> None:  # type: ignore[no-untyped-def]
    response = api.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_openapi_schema_and_docs_are_served(api) -> None:  # type: ignore[no-untyped-def]
    schema = api.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/v1/keys/" in schema.content
    docs = api.get("/api/docs/")
    assert docs.status_code == 200 and b"cdn" not in docs.content.lower()


def test_verify_is_throttled_per_calling_key(make_key, settings) -> None:  # type: ignore[no-untyped-def]
    from keys.throttling import VerifyRateThrottle

    # Saved before the override: restoring from api_settings in `finally` would read the overridden
    # settings (the `settings` fixture undoes them only later) and leak 2/min into every later test.
    original = VerifyRateThrottle.THROTTLE_RATES
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"verify": "2/min"}}
    VerifyRateThrottle.THROTTLE_RATES = {"verify": "2/min"}
    try:
        _, one = make_key(scopes=["keys:verify"])
        _, two = make_key(scopes=["keys:verify"])
        codes = [key_client(one).post("/api/v1/verify", {"key": "x"}, format="json").status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        assert key_client(two).post("/api/v1/verify", {"key": "x"}, format="json").status_code == 200
    finally:
        VerifyRateThrottle.THROTTLE_RATES = original
