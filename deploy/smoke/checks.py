"""What the smoke test checks against a running `Stack`, and the pg_dump/restore round trip (smoke.py runs it)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess

import httpx
from stack import (
    BIN,
    ROOT,
    Receiver,
    Stack,
    check,
    say,
    wait_for,
)

from webhooks.signing import secret_key


def total(text: str, prefix: str) -> float:
    """The sum of every sample whose line starts with `prefix` (a name and some of its labels)."""
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(prefix))


def checks(stack: Stack, data: dict[str, str]) -> None:
    # Health probes: each node directly (plain HTTP, as an orchestrator probes) and through nginx.
    for node in ("node1", "node2"):
        for probe in ("healthz", "readyz"):
            response = httpx.get(f"{stack.node(node)}/{probe}")
            check(response.status_code == 200 and response.json()["status"] == "ok", f"{node} /{probe}")
    with stack.https() as web:
        check(web.get("/readyz").json()["checks"] == {"database": "ok", "broker": "ok"}, "/readyz through nginx")
        login = web.get("/login/")
        check(login.status_code == 200 and 'name="password"' in login.text, "the portal login page through nginx")
        check("max-age=" in login.headers.get("strict-transport-security", ""), "HSTS on the portal")
        check(web.get("/metrics").status_code == 404, "nginx never serves /metrics")
        whoami = web.get(
            "/api/v1/whoami", headers={"Authorization": f"Bearer {data['key']}", "X-Request-ID": "smoke-request-0001"}
        )
        check(whoami.status_code == 200 and whoami.json()["type"] == "api_key", "an API key through nginx")
        check(whoami.headers.get("x-request-id") == "smoke-request-0001", "the caller's X-Request-ID is echoed")
        generated = web.get("/healthz").headers.get("x-request-id", "")
        check(len(generated) == 32, "nginx's $request_id reaches the app when the caller sends none")
        check(
            web.get("/api/v1/whoami", headers={"X-API-Key": data["key"][:-1] + "x"}).status_code == 401,
            "a bad key is 401",
        )

    # mTLS: the pinned client certificate on the mTLS name; without one, 401.
    with stack.https(client_cert=True) as mtls:
        response = mtls.get(
            "/api/v1/whoami", headers={"Host": "mtls.localhost"}, extensions={"sni_hostname": "mtls.localhost"}
        )
        check(
            response.status_code == 200 and response.json()["type"] == "client_certificate",
            "an mTLS client certificate through nginx",
        )
    with stack.https() as no_cert:
        response = no_cert.get(
            "/api/v1/whoami", headers={"Host": "mtls.localhost"}, extensions={"sni_hostname": "mtls.localhost"}
        )
        check(response.status_code == 401, "no client certificate on the mTLS name is 401")

    # Revoke on node 1, seen by node 2 on its very next request (the nodes share only PostgreSQL and Redis).
    doomed = {"Authorization": f"Bearer {data['doomed']}", "X-Forwarded-Proto": "https"}
    check(
        httpx.get(f"{stack.node('node2')}/api/v1/whoami", headers=doomed).status_code == 200, "node 2 accepts the key"
    )
    revoke = httpx.post(
        f"{stack.node('node1')}/api/v1/keys/{data['doomed_id']}/revoke",
        headers={"Authorization": f"Bearer {data['manager']}", "X-Forwarded-Proto": "https"},
        json={"reason": "smoke test"},
    )
    check(revoke.status_code == 200, f"node 1 revokes the key ({revoke.status_code})")
    check(
        httpx.get(f"{stack.node('node2')}/api/v1/whoami", headers=doomed).status_code == 401,
        "node 2 refuses it at once",
    )

    # The revoke published key.revoked: the worker delivers it to the receiver, signed (Standard Webhooks).
    wait_for("a webhook delivery", lambda: bool(Receiver.received), timeout=60)
    headers, body = Receiver.received[0]
    lower = {k.lower(): v for k, v in headers.items()}
    signed = f"{lower['webhook-id']}.{lower['webhook-timestamp']}.{body.decode()}".encode()
    expected = base64.b64encode(hmac.new(secret_key(data["webhook_secret"]), signed, hashlib.sha256).digest()).decode()
    check(
        f"v1,{expected}" in lower["webhook-signature"].split(" "), "a webhook delivered by the worker, signature valid"
    )
    event_types = sorted({json.loads(b)["type"] for _, b in Receiver.received})
    say(f"events received: {event_types}")

    # Metrics: both nodes count their verifications; the worker its tasks and attempts.
    node1, node2 = stack.scrape("node1"), stack.scrape("node2")
    both = node1 + "\n" + node2
    check(
        total(both, 'keyhouse_verifications_total{kind="api_key",outcome="valid"}') >= 3,
        "verifications by kind and outcome",
    )
    check(
        total(both, 'keyhouse_verifications_total{kind="client_certificate",outcome="valid"}') >= 1,
        "mTLS verifications",
    )
    check(total(both, 'keyhouse_verification_seconds_count{kind="api_key"}') >= 4, "verification latency histogram")
    for series in (
        "keyhouse_webhook_backlog{",
        "keyhouse_celery_queue_length{",
        "keyhouse_anomaly_alerts_total{",
        "keyhouse_oauth_tokens_issued_total{",
        "keyhouse_webhook_attempts_total{",
    ):
        check(series in node1, f"node 1 exports {series.rstrip('{')}")
    worker = stack.worker_metrics().text
    check(total(worker, 'keyhouse_webhook_attempts_total{outcome="succeeded"}') >= 1, "webhook attempts by outcome")
    check(
        total(worker, 'keyhouse_celery_task_seconds_count{state="SUCCESS",task="webhooks.tasks.deliver"}') >= 1,
        "Celery job durations",
    )
    check(httpx.get(f"{stack.node('node1')}/metrics").status_code == 404, "/metrics without the token is 404")

    # Logs: JSON lines with request ids, and no secret anywhere in any process's output.
    logs = {path.name: path.read_text(errors="replace") for path in stack.work.glob("*.log")}
    logs["nginx-access.log"] = (stack.work / "nginx" / "access.log").read_text()
    secrets_shown = {
        "the API key": data["key"][-38:],
        "the revoked key": data["doomed"][-38:],
        "the management key": data["manager"][-38:],
        "the webhook secret": data["webhook_secret"][6:],
    }
    for what, secret in secrets_shown.items():
        leaked = [name for name, text in logs.items() if secret in text]
        check(not leaked, f"{what} is in no log" if not leaked else f"{what} leaked into {leaked}")
    node_lines = [
        json.loads(line)
        for line in logs["node1.log"].splitlines() + logs["node2.log"].splitlines()
        if line.startswith("{")
    ]
    check(
        any(r.get("request_id") == "smoke-request-0001" and r.get("credential_kind") == "api_key" for r in node_lines),
        "the request log names the request id and the credential kind",
    )
    for name in ("node1", "node2", "worker", "beat"):
        check(stack.processes[name].poll() is None, f"{name} is still running")
    check("beat: Starting" in logs["beat.log"], "beat started")


def backup_and_restore(stack: Stack, data: dict[str, str]) -> None:
    """The backup runbook (docs/operations.md): pg_dump while serving, restore into a new database, check it."""
    dump = stack.work / "keyhouse.dump"
    restored = f"{stack.db}_restored"
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", f"{stack.pg}/{stack.db}"], check=True)
    subprocess.run(["psql", f"{stack.pg}/postgres", "-qc", f"CREATE DATABASE {restored}"], check=True)
    try:
        subprocess.run(["pg_restore", "--no-owner", f"--dbname={stack.pg}/{restored}", str(dump)], check=True)
        result = subprocess.run(
            [str(BIN / "python"), "deploy/smoke/verify_restore.py", data["key"], data["doomed"]],
            cwd=ROOT,
            env={**stack.environ, "DATABASE_URL": f"{stack.pg}/{restored}"},
            capture_output=True,
            text=True,
            check=False,
        )
        check(result.returncode == 0, f"backup restored: {result.stdout.strip() or result.stderr[-2000:]}")
    finally:
        subprocess.run(["psql", f"{stack.pg}/postgres", "-qc", f"DROP DATABASE IF EXISTS {restored} WITH (FORCE)"])
