"""What the bench scripts share: the platform's environment, a throw-away PostgreSQL database, Redis clean-up,
the servers and workers they start, timing.

One copy here so that every script measures under the same settings (same pepper, same keyring, same
logging), and a fix to the set-up reaches all of them. Not yet used by auth_throughput.py, which still carries
its own copies: its BASE_ENV fits `platform_env`, its `recreate_database` and `clear_redis` the ones here, and
its gunicorn start and stop `running` + `wait_until`.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

PG_URL = "postgres://postgres@127.0.0.1:5432"


def redis_url(db: int) -> str:
    """The bench's Redis: `BENCH_REDIS_URL` when set (a bench may flush it), else database `db` on loopback."""
    return os.environ.get("BENCH_REDIS_URL") or f"redis://127.0.0.1:6379/{db}"


def database_name(default: str) -> str:
    """The bench's database: `BENCH_DATABASE` when set (to run beside another run of the same bench), else `default`."""
    return os.environ.get("BENCH_DATABASE") or default


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


@contextlib.contextmanager
def fresh_platform(env: dict[str, str], *, flush_redis: bool = False) -> Iterator[None]:
    """Django set up under `env` (os.environ takes it) on its database, created empty and migrated, for the block.

    Afterwards the database is dropped and the bench's Redis keys are deleted, before the run too (a run that
    was killed leaves them): those under its CACHE_KEY_PREFIX, or with `flush_redis` the whole Redis database
    (a Celery broker's keys have no prefix)."""
    os.environ.update(env)
    database = env["DATABASE_URL"].rpartition("/")[2]
    redis, prefix = env.get("REDIS_URL"), None if flush_redis else env.get("CACHE_KEY_PREFIX")
    recreate_database(database, create=True)
    if redis:
        clear_redis(redis, prefix)
    try:
        start_django()
        yield
    finally:
        from django.db import connections

        connections.close_all()
        recreate_database(database, create=False)
        if redis:
            clear_redis(redis, prefix)


def stop(proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Terminate `proc` and reap it; kill it if it is still running after `timeout` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def running(cmd: list[str], *, env: dict[str, str], cwd: Path, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`cmd` as a process, its output (stdout and stderr) written to `log`, until the block ends."""
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            stop(proc)


def wait_until(
    ready: Callable[[], bool], proc: subprocess.Popen[bytes], *, what: str, seconds: float, log: Path
) -> None:
    """Poll `ready` (an OSError counts as not yet) every 0.1 s until it holds; RuntimeError if `proc` exits first
    or `seconds` pass. `what` and `log` name the process and its output in the error."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}; see {log}")
        with contextlib.suppress(OSError):
            if ready():
                return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not become ready within {seconds:g} s; see {log}")
