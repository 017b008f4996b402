"""The smoke test's stack: loopback ports, the compose commands and env, the webhook receiver, and
`Stack`, which starts nginx, two gunicorn nodes, a worker and beat and stops them by pid (smoke.py runs it)."""

from __future__ import annotations

import contextlib
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
