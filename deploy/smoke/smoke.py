"""Production-stack smoke test: nginx (TLS + mTLS) -> two gunicorn nodes -> PostgreSQL + Redis, with a Celery
worker and beat, all on loopback, started with deploy/compose.yaml's commands and deploy/nginx.conf.

    python deploy/smoke/smoke.py      # .ci/run runs it after the suite; exits non-zero on the first failure

Needs PostgreSQL (SMOKE_PG, default postgres://postgres@127.0.0.1:5432) where it may create and drop a
database, Redis (SMOKE_REDIS_URL, default redis://127.0.0.1:6379/13, flushed), and nginx. The PKI (a
throwaway server CA and a client certificate) is made here. Everything it starts is stopped by pid.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from base64 import b64encode
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import redis
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from keys.tests.pki import make_ca, make_cert  # noqa: E402
from oauth.signing_keys import generate_pem  # noqa: E402
from webhooks.signing import secret_key  # noqa: E402

BIN = Path(sys.executable).parent
COMPOSE = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
STARTED = time.monotonic()


def say(message: str) -> None:
    print(f"[smoke {time.monotonic() - STARTED:5.1f}s] {message}", flush=True)


class SmokeFailure(Exception):
    pass


def check(condition: object, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)
    say(f"ok: {message}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(what: str, probe: Callable[[], bool], timeout: float = 45.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if probe():
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.25)
    raise SmokeFailure(f"timed out waiting for {what}")


def command(service: str) -> list[str]:
    """The service's command from deploy/compose.yaml, with the venv's executables."""
    argv = list(COMPOSE["services"][service]["command"])
    if argv[0] in ("python", "gunicorn", "celery"):
        argv[0] = str(BIN / argv[0])
    return argv


def service_env(service: str, **overrides: str) -> dict[str, str]:
    """The names compose gives the service, each overridden for loopback (a missing override is a bug here)."""
    names = set(COMPOSE["services"][service].get("environment", {}))
    missing = names - set(overrides) - {"DATABASE_URL", "REDIS_URL", "TRUST_X_FORWARDED_PROTO", "TRUSTED_PROXY_COUNT"}
    missing -= {"LOG_FORMAT"}
    if missing:
        raise SmokeFailure(f"compose sets {sorted(missing)} for {service}; the smoke test must too")
    return overrides


class Receiver(BaseHTTPRequestHandler):
    """The webhook receiver on loopback: stores each delivery (headers and body)."""

    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Receiver.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


class Stack:
    def __init__(self) -> None:
        self.work = Path(tempfile.mkdtemp(prefix="keyhouse-smoke-"))
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.nginx_pid: int | None = None
        self.pg = os.environ.get("SMOKE_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
        self.db = f"keyhouse_smoke_{os.getpid()}"
        self.redis_url = os.environ.get("SMOKE_REDIS_URL", "redis://127.0.0.1:6379/13")
        self.ports = {name: free_port() for name in ("node1", "node2", "worker_metrics", "https", "http", "hook")}
        self.metrics_token = secrets.token_urlsafe(24)
        self.receiver = ThreadingHTTPServer(("127.0.0.1", self.ports["hook"]), Receiver)
        self.environ = self.env()  # computed once: every process shares the same secrets

    # --- set-up -----------------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        """The production environment: DEBUG off, real secrets, PostgreSQL, Redis, behind one proxy."""
        https = f"https://localhost:{self.ports['https']}"
        return {
            "PATH": os.environ["PATH"],
            "HOME": str(self.work),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "KEYS_PEPPERS": f"1:{secrets.token_urlsafe(32)}",
            "ENCRYPTION_KEYS": "k1:" + b64encode(secrets.token_bytes(32)).decode(),
            "OIDC_RSA_PRIVATE_KEY_FILE": str(self.work / "oidc.pem"),
            "DATABASE_URL": f"{self.pg}/{self.db}",
            "REDIS_URL": self.redis_url,
            "DJANGO_ALLOWED_HOSTS": "localhost,mtls.localhost,127.0.0.1",
            "DJANGO_CSRF_TRUSTED_ORIGINS": https,
            "SITE_URL": https,
            "TRUST_X_FORWARDED_PROTO": "1",
            "TRUSTED_PROXY_COUNT": "1",
            "MTLS_TRUSTED_PROXIES": "127.0.0.1/32",
            # The receiver is this script on loopback, over plain HTTP: an on-premises network, as listed.
            "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32",
            "WEBHOOK_REQUIRE_HTTPS": "0",
            "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
            "STATIC_ROOT": str(self.work / "static"),
            "METRICS_TOKEN": self.metrics_token,
            "LOG_FORMAT": "json",
        }

    def make_pki(self) -> None:
        self.server_ca = make_ca("Keyhouse smoke server CA")
        server = make_cert(
            "localhost", issuer=self.server_ca, dns=("localhost", "mtls.localhost"), ips=("127.0.0.1",), server=True
        )
        self.client = make_cert("billing-service")  # self-signed, pinned by the team
        tls = self.work / "tls"
        tls.mkdir()
        (tls / "fullchain.pem").write_text(server.pem)
        (tls / "privkey.pem").write_text(server.key_pem)
        (self.work / "client.pem").write_text(self.client.pem)
        (self.work / "client.key").write_text(self.client.key_pem)
        (self.work / "oidc.pem").write_text(generate_pem(2048))

    def run(self, *commands: list[str]) -> list[str]:
        """Run the commands at once (set-up is mostly waiting on PostgreSQL); their outputs, or the first failure."""
        running = [
            subprocess.Popen(
                argv, cwd=ROOT, env=self.environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            for argv in commands
        ]
        outputs = []
        for argv, process in zip(commands, running, strict=True):
            stdout, stderr = process.communicate(timeout=150)
            if process.returncode != 0:
                raise SmokeFailure(f"{' '.join(argv)} failed:\n{stdout}\n{stderr}")
            outputs.append(stdout)
        return outputs

    def start(self, name: str, argv: list[str], **extra: str) -> None:
        log = (self.work / f"{name}.log").open("wb")
        self.processes[name] = subprocess.Popen(
            argv, cwd=ROOT, env={**self.environ, **extra}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def start_nginx(self) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        prefix = self.work / "nginx"
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (prefix / sub).mkdir(parents=True)
        values = {
            "NGINX_UPSTREAM_SERVERS": f"server 127.0.0.1:{self.ports['node1']}; server 127.0.0.1:{self.ports['node2']};",
            "NGINX_HTTP_LISTEN": f"127.0.0.1:{self.ports['http']}",
            "NGINX_HTTPS_LISTEN": f"127.0.0.1:{self.ports['https']}",
            "NGINX_SERVER_NAME": "localhost",
            "NGINX_MTLS_SERVER_NAME": "mtls.localhost",
            "NGINX_TLS_DIR": str(self.work / "tls"),
        }
        compose_names = {k for k in COMPOSE["services"]["nginx"]["environment"] if k != "NGINX_ENVSUBST_FILTER"}
        if compose_names != set(values):
            raise SmokeFailure(f"compose's nginx variables {sorted(compose_names)} differ from the smoke test's")
        # What the nginx image's envsubst does with NGINX_ENVSUBST_FILTER=^NGINX_.
        site = (ROOT / "deploy" / "nginx.conf").read_text()
        for name, value in values.items():
            site = site.replace("${" + name + "}", value)
        if re.search(r"\$\{NGINX_[A-Z_]+\}", site):
            raise SmokeFailure("deploy/nginx.conf names a variable the smoke test does not set")
        (prefix / "site.conf").write_text(site)
        user = "user root;" if os.geteuid() == 0 else ""
        (prefix / "nginx.conf").write_text(
            f"""{user}
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/site.conf;
}}
"""
        )
        # Daemon mode: returns once the master has bound its ports.
        result = subprocess.run(
            [binary, "-p", str(prefix), "-c", str(prefix / "nginx.conf")], capture_output=True, text=True, timeout=30
        )
        if result.returncode != 0:
            raise SmokeFailure(f"nginx did not start: {result.stderr}")
        self.nginx_pid = int((prefix / "nginx.pid").read_text())

    def up(self) -> dict[str, str]:
        say(f"work dir {self.work}")
        subprocess.run(["psql", f"{self.pg}/postgres", "-qc", f"CREATE DATABASE {self.db}"], check=True)
        redis.Redis.from_url(self.redis_url).flushdb()
        self.make_pki()
        threading.Thread(target=self.receiver.serve_forever, daemon=True).start()
        _, _, deploy = self.run(
            command("migrate"),
            [str(BIN / "python"), "manage.py", "collectstatic", "--no-input", "-v0"],
            [str(BIN / "python"), "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        )
        say("migrated, static files collected")
        check("no issues" in deploy, "`manage.py check --deploy` is clean with the production env")
        hook = f"http://127.0.0.1:{self.ports['hook']}/hook"
        fixtures = json.loads(
            self.run([str(BIN / "python"), "deploy/smoke/fixtures.py", hook, str(self.work / "client.pem")])[0]
        )
        for node in ("node1", "node2"):
            metrics_dir = self.work / f"metrics-{node}"
            self.start(
                node,
                command("web"),
                **service_env(
                    "web",
                    GUNICORN_BIND=f"127.0.0.1:{self.ports[node]}",
                    GUNICORN_WORKERS="2",
                    FORWARDED_ALLOW_IPS="127.0.0.1",
                    PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
                ),
            )
        worker_dir = self.work / "metrics-worker"
        self.start(
            "worker",
            [*command("worker"), "--concurrency=2"],
            **service_env(
                "worker",
                PROMETHEUS_MULTIPROC_DIR=str(worker_dir),
                CELERY_METRICS_BIND=f"127.0.0.1:{self.ports['worker_metrics']}",
            ),
        )
        beat = command("beat")
        beat[beat.index("--schedule") + 1] = str(self.work / "celerybeat-schedule")
        self.start("beat", beat)
        self.start_nginx()
        for node in ("node1", "node2"):
            url = self.node(node) + "/healthz"
            wait_for(node, lambda url=url: httpx.get(url).status_code == 200)  # type: ignore[misc]
        wait_for("the worker's metrics", lambda: self.worker_metrics().status_code == 200)
        say("nginx, two gunicorn nodes, worker and beat are up")
        return fixtures

    def down(self) -> None:
        if self.nginx_pid:
            _stop(self.nginx_pid)
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for name, process in self.processes.items():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                say(f"{name} needed SIGKILL")
        self.receiver.shutdown()
        subprocess.run(["psql", f"{self.pg}/postgres", "-qc", f"DROP DATABASE IF EXISTS {self.db} WITH (FORCE)"])

    # --- clients ----------------------------------------------------------------------------------

    def node(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def https(self, *, client_cert: bool = False) -> httpx.Client:
        context = ssl.create_default_context(cadata=self.server_ca.pem)
        if client_cert:
            context.load_cert_chain(str(self.work / "client.pem"), str(self.work / "client.key"))
        return httpx.Client(base_url=f"https://localhost:{self.ports['https']}", verify=context, timeout=10)

    def scrape(self, node: str) -> str:
        response = httpx.get(f"{self.node(node)}/metrics", headers={"Authorization": f"Bearer {self.metrics_token}"})
        check(response.status_code == 200, f"{node} /metrics answers the token")
        return response.text

    def worker_metrics(self) -> httpx.Response:
        return httpx.get(
            f"http://127.0.0.1:{self.ports['worker_metrics']}/metrics",
            headers={"Authorization": f"Bearer {self.metrics_token}"},
        )


def _stop(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)


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


def main() -> int:
    stack = Stack()
    try:
        data = stack.up()
        checks(stack, data)
        backup_and_restore(stack, data)
    except (SmokeFailure, AssertionError, KeyError, ValueError, httpx.HTTPError) as failure:
        say(f"FAILED: {failure}")
        for path in sorted(stack.work.glob("*.log")):
            print(f"--- {path.name} (last lines)\n" + "\n".join(path.read_text(errors="replace").splitlines()[-30:]))
        return 1
    finally:
        stack.down()
    say("passed")
    shutil.rmtree(stack.work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
