"""What the bench scripts share: the platform's environment, a throw-away PostgreSQL database, Redis clean-up, timing.

One copy here so that every script measures under the same settings (same pepper, same keyring, same
logging), and a fix to the set-up reaches all of them. Not yet used by auth_throughput.py, revocation_delay.py
and ratelimit_accuracy.py, which still carry their own copies: their BASE_ENV / ENV fit `platform_env`, their
`recreate_database` and `clear_redis` (a flush, or a prefix scan) fit the ones here, and the setup-migrate-signup
start of revocation_delay.py / ratelimit_accuracy.py fits `start_django` + `signed_up`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

PG_URL = "postgres://postgres@127.0.0.1:5432"


def redis_url(db: int) -> str:
    """The bench's Redis: `BENCH_REDIS_URL` when set (a bench may flush it), else database `db` on loopback."""
    return os.environ.get("BENCH_REDIS_URL") or f"redis://127.0.0.1:6379/{db}"


def platform_env(
    database: str, *, redis_url: str | None = None, redis_prefix: str | None = None, **extra: str
) -> dict[str, str]:
    """The environment the platform runs under in a bench: production settings against `database`.

    `redis_url` / `redis_prefix` point the cache at a Redis database (else the in-memory fallbacks);
    `extra` adds or overrides settings (e.g. DJANGO_SETTINGS_MODULE, LOG_LEVEL)."""
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench",
        "KEYS_PEPPERS": "1:bench-pepper-0123456789",
        "ENCRYPTION_KEYS": "b1:YmVuY2gtd2ViaG9vay1lbmNyeXB0aW9uLWtleS0wMDE=",
        "SECURE_SSL_REDIRECT": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DATABASE_URL": f"{PG_URL}/{database}",
        # Persistent connections, as deployed (docs/operations.md): a connect per request is not what we measure.
        "DATABASE_CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    if redis_prefix:
        env["CACHE_KEY_PREFIX"] = redis_prefix
    return env | extra


def recreate_database(database: str, *, create: bool) -> None:
    """Drop `database` (closing its connections), and create it empty again if `create`."""
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        if create:
            conn.execute(f"CREATE DATABASE {database}")


def clear_redis(url: str, prefix: str | None = None) -> None:
    """Delete the keys under `prefix:` in the Redis at `url`, or the whole Redis database without a prefix."""
    import redis

    client = redis.Redis.from_url(url)
    if prefix is None:
        client.flushdb()
        return
    names = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if names:
        client.delete(*names)


def best_of(runs: int, fn: Callable[[int], Any]) -> float:
    """The fastest of `runs` calls of fn(run), in seconds."""
    times = []
    for run in range(runs):
        start = time.perf_counter()
        fn(run)
        times.append(time.perf_counter() - start)
    return min(times)


def start_django() -> None:
    """django.setup() under the environment set, and migrate its (fresh) database; prints the machine first."""
    import django

    django.setup()
    from django.core.management import call_command

    print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()}")
    call_command("migrate", verbosity=0)


def signed_up(email: str = "bench@example.com") -> tuple[Any, Any]:
    """A user signed up as in the portal (`user_signup`), and the team that came with it."""
    from accounts.models import Membership
    from accounts.services import user_signup

    user = user_signup(email=email, password="bench-password-0123", name="Bench")
    return user, Membership.objects.get(user=user).organization
