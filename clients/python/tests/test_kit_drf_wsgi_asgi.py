"""The kit's framework glue against a live platform: DRF classes, the WSGI and the ASGI middleware."""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import json
import time
from typing import Any

import pytest
from keyhouse_client import Keyhouse
from keyhouse_client.asgi import KeyhouseASGIMiddleware
from keyhouse_client.drf import HasScopes, RemoteKeyAuthentication
from keyhouse_client.wsgi import ENVIRON_KEY, KeyhouseMiddleware
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from keys.services import key_revoke
from webhooks import signing

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = signing.generate_secret()


class Orders(APIView):
    authentication_classes = [RemoteKeyAuthentication]
    permission_classes = [HasScopes]
    required_scopes = {"GET": ["orders:read"], "POST": ["orders:write"]}

    def get(self, request: Request) -> Response:
        return Response({"id": request.auth.id, "user": str(request.user)})

    def post(self, request: Request) -> Response:
        return Response({"created": True}, status=201)


@pytest.fixture
def kit_settings(live_platform: str, make_key: Any, settings: Any) -> str:
    _, verifier = make_key(name="Company API", scopes=["keys:verify"])
    settings.KEYHOUSE = {"BASE_URL": live_platform, "API_KEY": verifier, "WEBHOOK_SECRETS": [SECRET], "TTL": 60}
    return str(verifier)


def call(method: str, credential: str | None = None, header: str = "HTTP_AUTHORIZATION") -> Response:
    factory = APIRequestFactory()
    extra = {header: (f"Bearer {credential}" if header == "HTTP_AUTHORIZATION" else credential)} if credential else {}
    request = getattr(factory, method)("/orders", **extra)
    return Orders.as_view()(request)  # type: ignore[no-any-return]


def test_drf_remote_key_authentication_and_has_scopes(kit_settings: str, make_key: Any) -> None:
    key, reader = make_key(scopes=["orders:read"])
    ok = call("get", reader)
    assert ok.status_code == 200 and ok.data["id"] == key.id and ok.data["user"] == f"api_key:{key.id}"
    assert call("get", reader, header="HTTP_X_API_KEY").status_code == 200
    forbidden = call("post", reader)
    assert forbidden.status_code == 403 and "orders:write" in str(forbidden.data)
    missing = call("get")
    assert missing.status_code == 401 and missing["WWW-Authenticate"] == 'Bearer realm="api"'
    assert call("get", "ak_live_" + "0" * 46).status_code == 401
    assert call("get", "eyJhbGciOiJub25lIn0.e30.").status_code == 401


def test_drf_answers_503_when_the_platform_cannot_be_asked(settings: Any, make_key: Any) -> None:
    _, reader = make_key()
    settings.KEYHOUSE = {"BASE_URL": "http://127.0.0.1:9", "API_KEY": reader, "TIMEOUT": 2}
    assert call("get", reader).status_code == 503


def signed_delivery(event: str, key_id: str) -> tuple[dict[str, str], bytes]:
    body = json.dumps({"type": event, "data": {"key": {"id": key_id}}}).encode()
    return signing.headers(secrets=[SECRET], msg_id="msg_x", timestamp=int(time.time()), body=body), body


def wsgi_call(
    app: Any, path: str, method: str = "GET", headers: dict[str, str] | None = None, body: bytes = b""
) -> tuple[str, bytes, dict[str, Any]]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    status: list[str] = []
    chunks = app(environ, lambda s, h: status.append(s))
    return status[0], b"".join(chunks), environ


def test_wsgi_middleware_checks_scopes_and_takes_webhook_invalidations(
    kit_settings: str, live_platform: str, make_key: Any, alice: Any
) -> None:
    def inner(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ[ENVIRON_KEY].id.encode()]

    kit = Keyhouse(base_url=live_platform, api_key=kit_settings, webhook_secrets=SECRET, ttl=600)
    app = KeyhouseMiddleware(inner, kit, required_scopes=["orders:read"])
    key, reader = make_key(scopes=["orders:read"])
    _, other = make_key(scopes=["customers:read"])
    status, body, _ = wsgi_call(app, "/orders", headers={"Authorization": f"Bearer {reader}"})
    assert status.startswith("200") and body == key.id.encode()
    status, body, _ = wsgi_call(app, "/orders", headers={"X-API-Key": other})
    assert status.startswith("403") and json.loads(body)["error"]["detail"] == {"missing_scopes": ["orders:read"]}
    assert wsgi_call(app, "/orders")[0].startswith("401")
    key_revoke(key=key, actor=alice)
    assert wsgi_call(app, "/orders", headers={"Authorization": f"Bearer {reader}"})[0].startswith("200")  # cached
    headers, delivery = signed_delivery("key.revoked", key.id)
    assert wsgi_call(app, "/keyhouse/webhooks", "POST", headers, delivery)[0].startswith("204")
    assert wsgi_call(app, "/orders", headers={"Authorization": f"Bearer {reader}"})[0].startswith("401")
    forged = {**headers, "webhook-signature": "v1,AAAA"}
    assert wsgi_call(app, "/keyhouse/webhooks", "POST", forged, delivery)[0].startswith("400")


def asgi_call(
    app: Any, path: str, method: str = "GET", headers: dict[str, str] | None = None, body: bytes = b""
) -> tuple[int, bytes, dict[str, Any]]:
    scope: dict[str, Any] = {
        "type": "http",
        "method": method,
        "path": path,
        "client": ("127.0.0.1", 5000),
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    # On a thread of its own: another test's Playwright may keep an event loop running on this one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:]), scope


def test_asgi_middleware_checks_scopes_and_takes_webhook_invalidations(
    kit_settings: str, live_platform: str, make_key: Any, alice: Any
) -> None:
    async def inner(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": scope["state"][ENVIRON_KEY].id.encode()})

    kit = Keyhouse(base_url=live_platform, api_key=kit_settings, webhook_secrets=[SECRET], ttl=600)
    app = KeyhouseASGIMiddleware(inner, kit, required_scopes=lambda method, path: ["orders:read"])
    key, reader = make_key(scopes=["orders:write"])
    _, other = make_key(scopes=["customers:read"])
    assert asgi_call(app, "/orders", headers={"Authorization": f"Bearer {reader}"})[:2] == (200, key.id.encode())
    assert asgi_call(app, "/orders", headers={"X-API-Key": other})[0] == 403
    assert asgi_call(app, "/orders")[0] == 401
    key_revoke(key=key, actor=alice)
    headers, delivery = signed_delivery("key.revoked", key.id)
    assert asgi_call(app, "/keyhouse/webhooks", "POST", headers, delivery)[0] == 204
    assert asgi_call(app, "/orders", headers={"Authorization": f"Bearer {reader}"})[0] == 401
    assert asgi_call(app, "/keyhouse/webhooks", "POST", headers, b"x" * (1024 * 1024 + 1))[0] == 413
