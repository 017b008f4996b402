"""Production settings: refuse to start without secrets, and pass `check --deploy` when given them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from oauth.signing_keys import generate_pem

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
    "KEYS_PEPPERS": "1:a-production-pepper-0123456789abcdef",
    "ENCRYPTION_KEYS": "p1:cHJvZHVjdGlvbi1lbmNyeXB0aW9uLWtleS0wMDAwMDE=",
    # A throwaway RS256 key: without one, production fails system check oauth.E001.
    "OIDC_RSA_PRIVATE_KEY": generate_pem(2048),
    "REDIS_URL": "redis://127.0.0.1:6379/12",
    "DJANGO_ALLOWED_HOSTS": "keys.example.com",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "KEYS_", "SECURE_", "STATIC_", "ENCRYPTION_", "WEBHOOK_"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_production_settings() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_its_secrets() -> None:
    for missing in ("DJANGO_SECRET_KEY", "KEYS_PEPPERS"):
        env = {k: v for k, v in PRODUCTION.items() if k != missing}
        result = manage("check", env=env)
        assert result.returncode != 0
        assert f"{missing} is required" in result.stderr


def test_a_malformed_pepper_list_is_refused() -> None:
    result = manage("check", env={**PRODUCTION, "KEYS_PEPPERS": "short"})
    assert result.returncode != 0 and "keys.E002" in result.stderr


def test_production_refuses_the_development_encryption_key() -> None:
    from lib.crypto import DEV_KEYS

    result = manage("check", env={**PRODUCTION, "ENCRYPTION_KEYS": DEV_KEYS})
    assert result.returncode != 0 and "lib.E002" in result.stderr
