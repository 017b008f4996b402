"""End to end: real nginx terminates TLS on loopback, asks for a client certificate and forwards it to a live
Django server, using the forwarding lines of deploy/nginx.conf. The test PKI is generated here with `cryptography`.

nginx reaches the app from 127.0.0.2 (`proxy_bind`), the only address in MTLS_TRUSTED_PROXIES; a caller on
127.0.0.1 that talks to the app directly is "anyone else". Skipped when the nginx binary is not installed.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from keys.services import (
    certificate_authority_register,
    client_certificate_revoke,
)
from keys.tests.pki import Issued, make_ca, make_cert, register_certificate

pytestmark = [pytest.mark.nginx, pytest.mark.urls("keys.tests.credential_api")]

DEPLOY_CONF = Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf"
PORTS = range(18640, 18660)  # this suite's share of 18600-18699
PROXY_SOURCE = "127.0.0.2"


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)
    if not found:
        pytest.skip("nginx is not installed (CI installs it with `apt-get install -y nginx-light`)")
    return found


def deploy_directives() -> tuple[str, str]:
    """The mTLS server block's `ssl_verify_client` line and its forwarding lines, exactly as deployed."""
    text = DEPLOY_CONF.read_text()
    verify = re.search(r"^\s*(ssl_verify_client\s+[a-z_]+;)", text, re.MULTILINE)
    block = re.search(r"# BEGIN mtls-forwarding.*?\n(.*?)\s*# END mtls-forwarding", text, re.DOTALL)
    assert verify and block, "deploy/nginx.conf lost its mTLS server block"
    return verify.group(1), block.group(1)


class PKI:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.server_ca = make_ca("Keyhouse test server CA")
        self.server = make_cert("127.0.0.1", issuer=self.server_ca, ips=("127.0.0.1",), dns=("localhost",), server=True)
        self.client_ca = make_ca("Acme client CA")

    def write(self, name: str, issued: Issued) -> tuple[str, str]:
        cert, key = self.root / f"{name}.pem", self.root / f"{name}.key"
        cert.write_text(issued.pem)
        key.write_text(issued.key_pem)
        key.chmod(0o600)
        return str(cert), str(key)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PKI:
    return PKI(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def nginx(pki: PKI, live_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """nginx in front of the live server; yields its TLS port and stops it (by its pid) afterwards."""
    binary = nginx_binary()
    verify, forwarding = deploy_directives()
    prefix = tmp_path_factory.mktemp("nginx")
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / sub).mkdir()
    server_cert, server_key = pki.write("server", pki.server)
    app_port = live_server.thread.port
    user = "user root;" if os.geteuid() == 0 else ""
    last_error = ""
    for port in PORTS:
        conf = prefix / "nginx.conf"
        conf.write_text(
            f"""
{user}
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {server_cert};
        ssl_certificate_key {server_key};
        ssl_protocols TLSv1.2 TLSv1.3;
        {verify}
        ssl_verify_depth 3;
        location / {{
            proxy_pass http://127.0.0.1:{app_port};
            proxy_bind {PROXY_SOURCE};
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            {forwarding}
        }}
    }}
}}
"""
        )
        # Daemon mode: the command returns once the master has bound the port, so no waiting is needed.
        result = subprocess.run(
            [binary, "-p", str(prefix), "-c", str(conf)], capture_output=True, text=True, timeout=30
        )
        if result.returncode == 0:
            break
        last_error = result.stderr
        if "Address already in use" not in last_error:
            pytest.fail(f"nginx did not start: {last_error}")
    else:
        pytest.fail(f"no free port for nginx in {PORTS}: {last_error}")
    pid = int((prefix / "nginx.pid").read_text())
    try:
        yield port
    finally:
        os.kill(pid, signal.SIGTERM)


@pytest.fixture(autouse=True)
def _trust_only_nginx(settings: Any) -> None:
    settings.MTLS_TRUSTED_PROXIES = [f"{PROXY_SOURCE}/32"]
    settings.MTLS_CLIENT_CERT_HEADER = "X-Client-Cert"


def through_nginx(pki: PKI, port: int, client: Issued | None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    context = ssl.create_default_context(cadata=pki.server_ca.pem)
    if client is not None:
        context.load_cert_chain(*pki.write(f"client-{id(client)}", client))
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=15)
    try:
        conn.request("GET", "/mtls/orders", headers=headers or {})
        response = conn.getresponse()
        raw = response.read()
        if response.getheader("Content-Type", "").startswith("application/json"):
            return response.status, json.loads(raw)
        return response.status, raw.decode("latin-1")
    finally:
        conn.close()


def reason_of(body: Any) -> str:
    error = body["error"]
    return str((error.get("detail") or {}).get("reason") or error["code"])


@pytest.fixture
def registered(pki: PKI, org: Any, alice: Any) -> dict[str, Any]:
    """A pinned self-signed certificate, and the team's CA with one SAN identity under it."""
    pinned = make_cert("billing")
    pinned_credential = register_certificate(org, alice, name="Billing", certificate_pem=pinned.pem)
    authority = certificate_authority_register(
        organization=org, actor=alice, name="Acme CA", certificate_pem=pki.client_ca.pem
    )
    identity = register_certificate(
        org, alice, name="Payments", authority=authority, match_san="dns:payments.acme.test"
    )
    return {"pinned": pinned, "pinned_credential": pinned_credential, "identity": identity}


def test_a_good_certificate_passes_end_to_end(pki: PKI, nginx: int, registered: dict[str, Any]) -> None:
    status, body = through_nginx(pki, nginx, registered["pinned"])
    assert status == 200, body
    assert body["kind"] == "client_certificate" and body["id"] == registered["pinned_credential"].id
    issued = make_cert("payments-1", issuer=pki.client_ca, dns=("payments.acme.test",))
    status, body = through_nginx(pki, nginx, issued)
    assert status == 200, body
    assert body["id"] == registered["identity"].id


def test_a_missing_certificate_is_refused(pki: PKI, nginx: int, registered: dict[str, Any]) -> None:
    status, body = through_nginx(pki, nginx, None)
    assert status == 401 and reason_of(body) == "not_authenticated"


def test_an_expired_certificate_is_refused(
    pki: PKI, nginx: int, registered: dict[str, Any], org: Any, alice: Any
) -> None:
    now = datetime.now(UTC)
    expired = make_cert(
        "payments-old",
        issuer=pki.client_ca,
        dns=("payments.acme.test",),
        not_before=now - timedelta(days=30),
        not_after=now - timedelta(days=1),
    )
    # nginx checks validity dates in the handshake even with optional_no_ca: refused before the app.
    status, body = through_nginx(pki, nginx, expired)
    assert status == 400 and "The SSL certificate error" in body
    # A certificate still valid for TLS whose registration has expired is refused by the app.
    short = make_cert("short-lived")
    register_certificate(
        org, alice, name="Short", certificate_pem=short.pem, expires_at=timezone.now() + timedelta(hours=1)
    )
    assert through_nginx(pki, nginx, short)[0] == 200
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        status, body = through_nginx(pki, nginx, short)
    assert status == 401 and reason_of(body) == "inactive_certificate"


def test_a_revoked_certificate_is_refused(pki: PKI, nginx: int, registered: dict[str, Any], alice: Any) -> None:
    assert through_nginx(pki, nginx, registered["pinned"])[0] == 200
    client_certificate_revoke(certificate=registered["pinned_credential"], actor=alice)
    status, body = through_nginx(pki, nginx, registered["pinned"])
    assert status == 401 and reason_of(body) == "inactive_certificate"


def test_an_unregistered_certificate_is_refused(pki: PKI, nginx: int, registered: dict[str, Any]) -> None:
    status, body = through_nginx(pki, nginx, make_cert("stranger"))
    assert status == 401 and reason_of(body) == "unknown_certificate"


def test_a_forged_header_sent_straight_to_the_app_is_ignored(live_server: Any, registered: dict[str, Any]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", live_server.thread.port, timeout=15)
    try:
        conn.request("GET", "/mtls/orders", headers={"X-Client-Cert": registered["pinned"].escaped})
        response = conn.getresponse()
        body = json.loads(response.read())
    finally:
        conn.close()
    assert response.status == 401 and reason_of(body) == "not_authenticated"


def test_a_forged_header_through_nginx_is_replaced_by_the_real_certificate(
    pki: PKI, nginx: int, registered: dict[str, Any]
) -> None:
    forged = {"X-Client-Cert": registered["pinned"].escaped}
    status, body = through_nginx(pki, nginx, None, headers=forged)
    assert status == 401 and reason_of(body) == "not_authenticated"
    status, body = through_nginx(pki, nginx, make_cert("stranger"), headers=forged)
    assert status == 401 and reason_of(body) == "unknown_certificate"
